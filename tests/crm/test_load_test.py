"""manage.py load_test: logged-in clients against this machine only, for a bounded time."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from crm.management.commands.load_test import local_target


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://10.0.0.1:8000",
        "https://127.0.0.1:8000",
        "http://127.0.0.1.nip.io",
        "ftp://localhost",
    ],
)
def test_only_this_machine_over_http(url):
    with pytest.raises(CommandError):
        local_target(url)
    assert local_target("http://localhost:8077") == ("localhost", 8077)
    assert local_target("http://127.0.0.1") == ("127.0.0.1", 80)


@pytest.mark.parametrize(
    "options", [{"duration": 301}, {"duration": 0}, {"clients": 0}, {"clients": 201}, {"roles": "boss"}]
)
def test_duration_clients_and_roles_are_bounded(db, options):
    with pytest.raises(CommandError):
        call_command("load_test", base_url="http://127.0.0.1:9", **options)


# The live server reads committed data from another thread; the role groups come back with
# serialized_rollback after other transactional tests emptied the tables.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_measures_each_user_and_url_and_cleans_up_its_sessions(live_server, personas):
    from django.contrib.sessions.models import Session

    out = io.StringIO()
    url = reverse("contacts:company_list")
    call_command(
        "load_test",
        url,
        base_url=live_server.url,
        clients=2,
        duration=1,
        warmup=0,
        roles="rep,admin",
        stdout=out,
    )
    report = out.getvalue()
    assert "rep (Sales rep)" in report and "admin (Administrator)" in report
    rows = [line.split() for line in report.splitlines() if url in line and "req/s" not in line]
    assert len(rows) == 2 and all(row[-1] == "0" for row in rows)  # no errors
    assert not Session.objects.exists()
