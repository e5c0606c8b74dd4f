"""crm.compiled_queries: a queryset compiled once per key and run again with other ids gives what
the queryset itself gives, and a change to who may see what reaches it on the next request."""

import pytest
from django.db.models import Q
from django.db.models.functions import Upper

from activities import selectors
from activities.models import Activity
from contacts.models import Company
from crm import compiled_queries
from crm.models import OrganisationSettings, User
from tests.factories import ActivityFactory, CompanyFactory


def named(ids):
    return Company.objects.filter(pk__in=ids).only("name").order_by("pk")


def test_each_run_gives_the_querysets_own_rows(db):
    companies = [CompanyFactory(name=f"Compiled {number}") for number in range(6)]
    compiled = []
    for chosen in (companies[:3], companies[3:], companies[1:4], companies[:1]):
        ids = [company.pk for company in chosen]
        rows = compiled_queries.run_with_ids("test-named", named, ids)
        assert [(row.pk, row.name) for row in rows] == [(c.pk, c.name) for c in named(ids)]
        compiled.append(len(ids))
    assert compiled == [3, 3, 3, 1]


def test_a_query_is_compiled_once_per_key_and_number_of_ids(db, monkeypatch):
    built = []

    def counting(ids):
        built.append(list(ids))
        return named(ids)

    first, second = CompanyFactory(), CompanyFactory()
    list(compiled_queries.run_with_ids("test-once", counting, [first.pk]))
    list(compiled_queries.run_with_ids("test-once", counting, [second.pk]))
    list(compiled_queries.run_with_ids("test-once", counting, [first.pk, second.pk]))
    assert len(built) == 2
    assert all(pk < 0 for ids in built for pk in ids)  # placeholders, never a real id


def test_a_query_that_does_not_use_each_id_once_is_refused(db):
    with pytest.raises(ValueError, match="exactly once"):
        compiled_queries.run_with_ids("test-unused", lambda ids: Company.objects.all(), [1, 2])


def test_narrowing_reps_reaches_the_compiled_next_step_query_at_once(personas):
    """The next-step column's query is compiled once per user: when the org setting narrows reps
    to their own records, another rep's to-do on a company of theirs is no longer found."""
    theirs = CompanyFactory(owner=personas.rep_other_team)
    step = ActivityFactory(company=theirs, subject="Their next step", owner=personas.rep_other_team)
    found = selectors.next_steps(user=personas.rep, link="company", ids=[theirs.pk])
    assert found[theirs.pk].pk == step.pk
    settings_row = OrganisationSettings.load()
    settings_row.reps_see_only_own_customers = True
    settings_row.save()
    rep = User.objects.get(pk=personas.rep.pk)  # as the next request loads them
    assert not Activity.objects.visible_to(rep).filter(company=theirs).exists()
    assert selectors.next_steps(user=rep, link="company", ids=[theirs.pk]) == {}


def test_records_carry_their_annotations_and_no_ids_give_no_query(db, django_assert_num_queries):
    company = CompanyFactory(name="Annotated AB", custom_fields={"tier": "gold"})

    def annotated(ids):
        return Company.objects.filter(pk__in=ids).only("name", "custom_fields").annotate(shout=Upper("name"))

    [record] = compiled_queries.run_with_ids("test-annotated", annotated, [company.pk])
    assert (record.pk, record.name, record.shout, record.custom_fields) == (
        company.pk, "Annotated AB", "ANNOTATED AB", {"tier": "gold"},
    )  # fmt: skip
    [values] = compiled_queries.values_with_ids(
        "test-values",
        lambda ids: Company.objects.filter(pk__in=ids).values("pk", "custom_fields"),
        [company.pk],
    )
    assert values == {"pk": company.pk, "custom_fields": {"tier": "gold"}}  # the JSON column, decoded
    with django_assert_num_queries(0):
        assert compiled_queries.run_with_ids("test-annotated", annotated, []) == []
        assert compiled_queries.values_with_ids("test-values", annotated, []) == []


def test_select_related_and_records_for_values_are_refused(db):
    company = CompanyFactory()
    with pytest.raises(ValueError, match="select_related"):
        compiled_queries.run_with_ids(
            "test-related",
            lambda ids: Company.objects.filter(pk__in=ids).select_related("owner"),
            [company.pk],
        )
    with pytest.raises(ValueError, match="values"):
        compiled_queries.values_with_ids("test-model", named, [company.pk])


@pytest.mark.parametrize("count", [1, 2, 50])
def test_the_ids_go_as_one_array_and_give_the_same_rows(db, count):
    companies = [CompanyFactory(name=f"Array {number}") for number in range(count)]
    ids = [company.pk for company in reversed(companies)]
    compiled, _rows = compiled_queries._run(
        f"test-array-{count}", named, ids, compiled_queries._compile_records
    )
    assert " = ANY(%s)" in compiled.sql and " IN (" not in compiled.sql
    rows = compiled_queries.run_with_ids(f"test-array-{count}", named, ids)
    assert [(row.pk, row.name) for row in rows] == [(c.pk, c.name) for c in named(ids)]


def test_ids_that_are_not_one_in_list_stay_placeholders(db):
    first, second = CompanyFactory(name="First"), CompanyFactory(name="Second")

    def either(ids):  # each id in its own comparison: no IN list to rewrite
        return Company.objects.filter(Q(pk=ids[0]) | Q(pk=ids[1])).only("name").order_by("pk")

    compiled, _rows = compiled_queries._run(
        "test-either", either, [first.pk, second.pk], compiled_queries._compile_records
    )
    assert compiled.ids_array_at is None and "ANY" not in compiled.sql
    rows = compiled_queries.run_with_ids("test-either", either, [second.pk, first.pk])
    assert [row.name for row in rows] == ["First", "Second"]
