"""The benchmark command seeds searchable rows and prints its tables (no timing asserted)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from contacts.models import Company, Person
from contacts.search import normalise_for_search, search
from crm import bench
from crm.models import Role, User


@pytest.fixture
def output(db):
    stream = io.StringIO()
    call_command("bench_contacts", companies=200, people=500, repeat=1, stdout=stream)
    return stream.getvalue()


def test_bench_seeds_companies_and_people_found_by_search(output):
    assert Company.objects.count() == 200
    assert Person.objects.count() == 500
    company = Company.objects.order_by("pk")[100]
    assert company.search_text == normalise_for_search(
        " ".join(word for word in company.search_words() if word)
    )
    first_word = company.search_text.split()[0]
    assert company in search(Company.objects.all(), first_word[:4])
    person = Person.objects.filter(last_name="Zsigmondy").first()
    assert person in search(Person.objects.all(), "zsigm")


def test_bench_seeds_reps_in_the_sales_rep_group(output):
    reps = User.objects.filter(username__startswith="bench-rep-")
    assert reps.count() == 50
    assert all(rep.role == Role.SALES_REP for rep in reps[:5])
    assert Company.objects.filter(owner__in=reps).exists()


def test_bench_prints_the_load_and_page_tables(output):
    assert "rows/s" in output
    assert "median ms" in output
    assert "companies, Public, by name, page 1" in output
    assert "Administrator" in output and "Sales rep" in output
    assert "EXPLAIN (ANALYZE, BUFFERS)" in output
    assert "Execution Time" in output
    assert "SQL ms" in output
    assert "people search: queries [" in output
    assert "queries [0" not in output


def test_bench_refuses_a_database_with_many_companies(db):
    Company.objects.bulk_create(Company(name=f"Existing {number}") for number in range(1_000))
    with pytest.raises(CommandError, match="throwaway"):
        call_command("bench_contacts", companies=10, people=10, repeat=1, stdout=io.StringIO())


def test_measure_counts_the_queries_of_one_request_every_time(admin):
    client = bench.logged_in_client(admin)
    url = reverse("contacts:company_list")
    first = bench.measure(client, url, repeat=2, warmup=1)
    second = bench.measure(client, url, repeat=2, warmup=1)
    assert first["queries"] > 0
    assert first["queries"] == second["queries"] == len(second["sql"])
    assert first["median_ms"] <= first["max_ms"]


def test_measure_refuses_a_page_that_does_not_answer_200(admin):
    client = bench.logged_in_client(admin)
    with pytest.raises(bench.PageNotAvailable):
        bench.measure(client, "/no-such-page/", repeat=1)


def test_format_table_aligns_columns():
    lines = bench.format_table([["page", "ms"], ["companies", 12.345], ["people", 1234.5]]).splitlines()
    assert lines[0].startswith("page")
    assert lines[2].endswith("   12.3")
    assert lines[3].endswith("1,234.5")
    assert len({len(line) for line in lines[1:]}) == 1
