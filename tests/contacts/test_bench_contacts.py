"""bench_contacts (now bench_seed + the contact routes of bench_routes) and crm.bench's helpers
(no timing asserted)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from contacts.models import Company, Person
from crm import bench
from crm.search import normalise_for_search, search


def test_bench_contacts_seeds_once_then_times_the_contact_routes_only(db, media_root):
    call_command(
        "bench_seed", companies=40, people=100, deals=10, leads=10, card_reps=1, stdout=io.StringIO()
    )
    stream = io.StringIO()
    call_command("bench_contacts", companies=10, people=10, repeat=1, stdout=stream)
    output = stream.getvalue()
    assert "nothing to do" in output
    assert Company.objects.count() == 40
    assert "contacts:company_list" in output and "contacts:person_detail" in output
    assert "opportunities:" not in output and "admin:" not in output


def test_bench_seed_rows_are_found_by_search(db, media_root):
    call_command(
        "bench_seed", companies=40, people=100, deals=10, leads=10, card_reps=0, stdout=io.StringIO()
    )
    company = Company.objects.order_by("pk")[20]
    assert company.search_text == normalise_for_search(
        " ".join(word for word in company.search_words() if word)
    )
    assert company in search(Company.objects.all(), company.search_text.split()[0][:4])
    person = Person.objects.order_by("pk")[50]
    assert person in search(Person.objects.all(), person.search_text.split()[0][:3])


def test_measure_counts_the_queries_of_one_request_every_time(admin):
    client = bench.logged_in_client(admin)
    url = reverse("contacts:company_list")
    first = bench.measure(client, url, repeat=2, warmup=1)
    second = bench.measure(client, url, repeat=2, warmup=1)
    assert first["queries"] > 0
    assert first["queries"] == second["queries"] == len(second["sql"]) == len(second["sql_times"])
    assert first["median_ms"] <= first["max_ms"]


def test_measure_reads_a_streamed_export_to_its_end(admin):
    client = bench.logged_in_client(admin)
    result = bench.measure(client, reverse("contacts:company_export", args=["csv"]), repeat=1, warmup=1)
    assert result["queries"] > 0


def test_measure_refuses_a_page_that_does_not_answer_200_and_says_how(admin, rep):
    with pytest.raises(bench.PageNotAvailable) as missing:
        bench.measure(bench.logged_in_client(admin), "/no-such-page/", repeat=1)
    assert missing.value.status_code == 404
    with pytest.raises(bench.PageNotAvailable) as refused:
        bench.measure(bench.logged_in_client(rep), reverse("contacts:company_export", args=["csv"]), repeat=1)
    assert refused.value.status_code == 403


def test_format_table_aligns_columns():
    lines = bench.format_table([["page", "ms"], ["companies", 12.345], ["people", 1234.5]]).splitlines()
    assert lines[0].startswith("page")
    assert lines[2].endswith("   12.3")
    assert lines[3].endswith("1,234.5")
    assert len({len(line) for line in lines[1:]}) == 1


def test_explain_summarises_the_plan_of_a_captured_query(db):
    summary = bench.plan_summary(bench.explain('SELECT * FROM "contacts_company" WHERE "id" = 1'))
    assert summary["execution"].startswith("Execution Time")
    assert summary["top"]
