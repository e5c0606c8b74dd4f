"""The access log leaves out what the beacon marks quiet, unless it was refused."""

from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from crm.gunicorn_logging import QUIET, CrmLogger


@pytest.mark.parametrize(
    ("quiet", "status", "logged"),
    [(False, 200, True), (True, 204, False), (True, 200, False), (True, 429, True), (True, 500, True)],
)
def test_quiet_requests_are_left_out_of_the_access_log_unless_refused(monkeypatch, quiet, status, logged):
    lines = []
    monkeypatch.setattr(Logger, "access", lambda self, resp, req, environ, request_time: lines.append(status))
    environ = {"PATH_INFO": "/w/t/visit", **({QUIET: True} if quiet else {})}
    CrmLogger(Config()).access(SimpleNamespace(status_code=status), None, environ, 0.001)
    assert lines == ([status] if logged else [])


def test_gunicorn_uses_it():
    import runpy

    assert runpy.run_path("gunicorn.conf.py")["logger_class"] == "crm.gunicorn_logging.CrmLogger"
