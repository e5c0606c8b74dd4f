"""The benchmark: bench_seed seeds once, and bench_routes walks every GET route (no timing asserted)."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from contacts.models import Company, Person
from crm.documents import documents_of
from crm.management.commands.bench_routes import NO_PERMISSION, NOT_CLASSIFIED
from crm.management.commands.bench_seed import seeded_marker
from crm.models import Role, User
from leads.models import Lead
from opportunities.models import Deal, DealContact, DealLine, Quote, SalesOrder
from tests.access_matrix import PUBLIC, ROUTES, SIGNED_IN_POST, TOKEN_ROUTES, ObjectRoute

TINY = {"companies": 30, "people": 90, "deals": 40, "leads": 20, "card_reps": 1}


def seed(**volumes) -> str:
    stream = io.StringIO()
    call_command("bench_seed", **{**TINY, **volumes}, stdout=stream)
    return stream.getvalue()


def walk(**options) -> str:
    stream = io.StringIO()
    call_command("bench_routes", repeat=1, warmup=1, admin_repeat=1, stdout=stream, **options)
    return stream.getvalue()


def table_rows(output: str) -> dict[tuple[str, str], str]:
    """(persona, route) → verdict, from the printed table."""
    rows = {}
    for line in output.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) >= 3 and cells[0] in {"Anonymous", "Administrator", "Sales rep", "—"}:
            rows[(cells[0], cells[1])] = cells[-1]
    return rows


@pytest.fixture
def seeded(db, media_root):
    return seed()


def test_seed_loads_the_volumes_asked_for_with_a_created_row_in_every_history(seeded):
    assert "rows/s" in seeded
    assert Company.objects.count() == 30
    assert Person.objects.count() == 90
    assert Deal.objects.count() == 40
    assert Lead.objects.count() == 20
    assert DealLine.objects.exists() and DealContact.objects.exists()
    assert Lead.objects.filter(status=Lead.Status.CONVERTED, converted_person__isnull=False).exists()
    assert Deal.objects.values("pipeline").distinct().count() == 3
    reps = User.objects.filter(username__startswith="bench-rep-")
    assert reps.count() == 50
    assert reps.first().role == Role.NORMAL_USER
    for model in (Company, Person, Deal, Lead):
        assert model.history.filter(history_type="+").count() == model.objects.count()


def test_seed_makes_the_first_reps_card_through_the_services(seeded):
    rep = User.objects.get(username="bench-rep-01")
    company = Company.objects.filter(owner=rep).order_by("-version").first()
    assert company.people.count() >= 3
    assert company.history.filter(history_type="~").count() == 3
    assert documents_of(company).count() == 2
    quotes = Quote.objects.filter(deal__owner=rep)
    assert quotes.count() == 2
    order = SalesOrder.objects.get(deal__owner=rep)
    for document in [*(quote.document for quote in quotes), order.document]:
        assert document.file.storage.exists(document.file.name)


def test_seed_runs_once(seeded):
    assert seeded_marker() is not None
    again = seed(companies=10)
    assert "nothing to do" in again
    assert Company.objects.count() == 30


def test_seed_refuses_a_database_with_records_but_no_finished_seed(db):
    Company.objects.create(name="Left over")
    with pytest.raises(CommandError, match="Delete the data dir"):
        seed()


def test_walk_requests_every_classified_get_route_and_the_admin_answers_200(seeded):
    output = walk()
    rows = table_rows(output)
    expected = [
        (name, "Anonymous" if route == PUBLIC else "Administrator")
        for name, route in ROUTES.items()
        if route != SIGNED_IN_POST
        and getattr(route, "method", "GET") == "GET"
        # A public route answering GET with 405 is POST only (the portal's sign-out): not walked.
        and TOKEN_ROUTES.get(name, ({}, 200))[1] != 405
    ]
    assert any(isinstance(ROUTES[name], ObjectRoute) for name, _persona in expected)
    for name, persona in expected:
        assert rows.get((persona, name)) in {"ok", "SLOW"}, (name, rows.get((persona, name)))
    for searched in ("contacts:company_list, q=", "contacts:person_autocomplete, q="):
        assert any(
            label.startswith(searched) and verdict in {"ok", "SLOW"}
            for (persona, label), verdict in rows.items()
            if persona == "Administrator"
        ), searched
    assert rows[("Administrator", "opportunities:board, htmx")] in {"ok", "SLOW"}
    assert rows[("Administrator", "admin:contacts_company_change")] in {"ok", "SLOW"}
    assert rows[("Sales rep", "opportunities:board_export")] == NO_PERMISSION
    assert "crm.exports.MAX_ROWS patched" in output
    assert re.search(r"^\d+ routes, \d+ slow", output, re.MULTILINE)
    assert "; 0 errors," in output


@override_settings(ROOT_URLCONF="tests.bench_test_urls")
def test_walk_measures_a_new_route_without_parameters_and_names_one_with_parameters(seeded):
    rows = table_rows(walk(only="bench_new"))
    assert rows[("Administrator", "bench_new_page (not classified)")] in {"ok", "SLOW"}
    assert rows[("Sales rep", "bench_new_page (not classified)")] in {"ok", "SLOW"}
    assert rows[("—", "bench_new_record")] == NOT_CLASSIFIED
