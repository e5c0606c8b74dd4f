"""Browser tests: the system's Chromium driven by Playwright for Python, against a live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium (Debian package
``chromium``; another path via CRM_CHROMIUM). Without it browser tests skip with the reason,
except under CI=true, where they fail. A failing test leaves a screenshot in test-artifacts/.

Browser tests mark themselves ``@pytest.mark.browser`` and use ``page`` (and ``log_in``); they
need ``@pytest.mark.django_db(transaction=True, serialized_rollback=True)`` because the live
server reads committed data from another thread.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium keeps calling home, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _chromium_or_skip():
    if os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return
    reason = (
        f"Chromium not found at {CHROMIUM}: install the Debian package 'chromium' "
        "(apt-get install chromium) or set CRM_CHROMIUM to run the browser tests."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _keep_serialized_snapshot_on_new_connections() -> None:
    """Playwright's sync API keeps an event loop running in this thread, and Django then keeps
    database connections in context-local storage: new connection objects, without the
    snapshot that serialized_rollback restores between transactional tests. Copy it over."""
    from django.db import connections

    snapshots = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    create_connection = connections.create_connection

    def create_connection_with_snapshot(alias):
        connection = create_connection(alias)
        if alias in snapshots:
            connection._test_serialized_contents = snapshots[alias]
        return connection

    connections.create_connection = create_connection_with_snapshot


@pytest.fixture(scope="session")
def chromium(django_db_setup, django_db_blocker):
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    # With Playwright's loop running, Django's ORM would refuse the test's own database
    # calls as "async unsafe"; they are in fact made from this one synchronous thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    _keep_serialized_snapshot_on_new_connections()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server, request):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    browser_page = context.new_page()
    csp_violations: list[str] = []
    page_errors: list[str] = []
    browser_page.on(
        "console",
        lambda message: (
            csp_violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    browser_page.on("pageerror", lambda error: page_errors.append(str(error)))
    yield browser_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        browser_page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
    assert not csp_violations, f"the page broke its Content Security Policy: {csp_violations}"
    assert not page_errors, f"JavaScript errors on the page: {page_errors}"


@pytest.fixture
def log_in(page):
    """Sign in through the real login page."""

    def sign_in(username: str, password: str = "correct horse battery"):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    return sign_in
