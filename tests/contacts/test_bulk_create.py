"""contacts.services' bulk entry points (the import's write path) against the single-record
services: a record made by people_create_many / companies_create_many (or changed by the
*_update_many ones) must equal one made by person_create / company_create, with the same history,
audit and search rows, and the values the single service refuses are refused the same way."""

import pytest
from django.core.exceptions import ValidationError

from contacts import services
from contacts.models import Company, Person, RequiredField
from crm import lookup_cache
from crm.exceptions import StaleRecordError
from crm.models import AuditEvent
from crm.search import search
from tests.factories import CompanyFactory, PersonFactory

# Fields that differ between two records made one after the other.
MOMENT_FIELDS = {"id", "created_at", "updated_at", "last_touched_at", "consent_updated_at"}


def _audit(record, verb):
    return list(
        AuditEvent.objects.filter(
            object_id=str(record.pk), verb=verb, content_type__model=record._meta.model_name
        ).values("actor", "object_repr", "changes")
    )


def _row(record, *, without=()):
    """The stored row of `record`, with the fields that are sure to differ left out."""
    stored = type(record).objects.filter(pk=record.pk).values().get()
    return {name: value for name, value in stored.items() if name not in MOMENT_FIELDS | set(without)}


def _history(record, *, without=()):
    return [
        {
            name: value
            for name, value in entry.items()
            if name not in MOMENT_FIELDS | {"history_id", "history_date"} | set(without)
        }
        for entry in record.history.order_by("history_id").values()
    ]


@pytest.fixture
def company(rep):
    return CompanyFactory(name="Nordlys Arkiv AB", owner=rep)


def person_values(rep, company, **changes):
    return {
        "first_name": "Åsa",
        "last_name": "Lindqvist-Kovács",
        "email": "  Asa.Lindqvist@Nordlys.SE ",
        "phone": "+46 70 123 45 67",
        "title": "Head of Archives",
        "linkedin": "https://www.linkedin.com/in/asa",
        "company": company,
        "consent_email": True,
        "owner": rep,
        "custom_fields": {"shoe_size": 38},
        **changes,
    }


def test_a_person_created_in_bulk_equals_one_created_by_person_create(rep, company):
    single = services.person_create(actor=rep, values=person_values(rep, company))
    (bulk,), errors = services.people_create_many(actor=rep, values_list=[person_values(rep, company)])
    assert errors == {}
    assert bulk.pk != single.pk
    assert _row(bulk) == _row(single)
    assert _row(bulk)["search_text"] and _row(bulk)["email"] == "asa.lindqvist@nordlys.se"
    stored = Person.objects.get(pk=bulk.pk)
    assert stored.consent_updated_at is not None and stored.last_touched_at is not None
    # The history row ("created", by the actor) and the audit row, as the single service writes.
    assert _history(bulk, without={"id"}) == _history(single, without={"id"})
    assert bulk.history.get().history_user == rep and bulk.history.get().history_type == "+"
    assert (
        _audit(bulk, "create")
        == _audit(single, "create")
        == [{"actor": rep.pk, "object_repr": "Åsa Lindqvist-Kovács", "changes": {}}]
    )
    # The search vector PostgreSQL derives from the search text finds both the same way.
    for term in ("asa lindq", "kovacs", "nordlys.se", "+46 70 123 45 67"):
        found = set(search(Person.objects.all(), term).values_list("pk", flat=True))
        assert found == {single.pk, bulk.pk}, term


def test_a_company_created_in_bulk_equals_one_created_by_company_create(rep):
    values = {"name": "  Filmarkivet Väst AB ", "email_domain": " @Filmarkivet.SE", "owner": rep}
    single = services.company_create(actor=rep, values=dict(values))
    (bulk,), errors = services.companies_create_many(actor=rep, values_list=[dict(values)])
    assert errors == {}
    assert _row(bulk) == _row(single)
    assert (bulk.name, bulk.email_domain) == ("Filmarkivet Väst AB", "filmarkivet.se")
    assert _history(bulk, without={"id"}) == _history(single, without={"id"})
    assert _audit(bulk, "create") == _audit(single, "create")
    found = set(search(Company.objects.all(), "filmark vast").values_list("pk", flat=True))
    assert found == {single.pk, bulk.pk}


def _single_errors(create, **kwargs):
    try:
        create(**kwargs)
    except ValidationError as error:
        return {name: " ".join(messages) for name, messages in error.message_dict.items()}
    return {}


@pytest.fixture
def title_required(db):
    RequiredField.objects.update_or_create(
        target="contacts.person", field_name="title", defaults={"is_required": True}
    )
    lookup_cache.clear()


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "not an address"},
        {"first_name": ""},
        {"first_name": "x" * 101},
        {"linkedin": "linkedin dot com"},
        {"phone": "1" * 41},
        {"email": "bad", "title": "t" * 151},
    ],
    ids=["email", "no first name", "long first name", "url", "long phone", "two fields"],
)
def test_bulk_refuses_what_person_create_refuses_with_the_same_messages(rep, company, changes):
    values = person_values(rep, company, **changes)
    expected = _single_errors(services.person_create, actor=rep, values=dict(values))
    assert expected  # the single service refuses it
    records, errors = services.people_create_many(
        actor=rep, values_list=[person_values(rep, company, email="good@example.com"), dict(values)]
    )
    assert errors == {1: expected}
    assert records[0] is not None and records[1] is None
    assert Person.objects.count() == 1  # the good one only: no half-written record


def test_bulk_refuses_a_person_without_a_first_name_given_at_all(rep):
    expected = _single_errors(services.person_create, actor=rep, values={"last_name": "Only"})
    assert set(expected) == {"first_name"}
    records, errors = services.people_create_many(actor=rep, values_list=[{"last_name": "Only"}])
    assert (records, errors) == ([None], {0: expected})


def test_bulk_applies_the_minimum_field_setting_as_person_create_does(rep, company, title_required):
    values = person_values(rep, company, title="  ")
    expected = _single_errors(services.person_create, actor=rep, values=dict(values))
    assert set(expected) == {"title"}
    _records, errors = services.people_create_many(actor=rep, values_list=[dict(values)])
    assert errors == {0: expected}


def test_bulk_refuses_fields_the_service_does_not_write(rep):
    with pytest.raises(TypeError):
        services.people_create_many(actor=rep, values_list=[{"first_name": "A", "version": 7}])


def test_a_person_updated_in_bulk_equals_one_updated_by_person_update(rep, company):
    single, bulk = PersonFactory(owner=rep), PersonFactory(owner=rep)
    changes = {"title": "Archivist", "email": " New@Example.COM ", "consent_phone": True}
    services.person_update(actor=rep, person=single, changes=dict(changes), expected_version=single.version)
    (updated,), errors = services.people_update_many(actor=rep, updates=[(bulk, dict(changes), bulk.version)])
    assert errors == {} and updated.pk == bulk.pk
    single.refresh_from_db()
    bulk.refresh_from_db()
    assert (bulk.version, bulk.title, bulk.email) == (single.version, "Archivist", "new@example.com")
    assert bulk.consent_updated_at is not None and bulk.last_touched_at >= single.last_touched_at
    assert bulk.history.order_by("history_id").last().history_type == "~"
    assert bulk.history.order_by("history_id").last().history_user == rep
    assert set(_audit(bulk, "update")[0]["changes"]) == set(_audit(single, "update")[0]["changes"])
    assert set(search(Person.objects.all(), "archivist").values_list("pk", flat=True)) == {
        single.pk,
        bulk.pk,
    }


def test_bulk_update_refuses_a_record_changed_since_it_was_read(rep):
    person = PersonFactory(owner=rep, title="Before")
    read_version = person.version
    services.person_update(actor=rep, person=person, changes={"title": "Meanwhile"}, expected_version=1)
    with pytest.raises(StaleRecordError):
        services.person_update(actor=rep, person=person, changes={"title": "Mine"}, expected_version=1)
    records, errors = services.people_update_many(
        actor=rep, updates=[(person, {"title": "Mine"}, read_version)]
    )
    assert records == [None] and set(errors) == {0}
    person.refresh_from_db()
    assert person.title == "Meanwhile"


def test_bulk_update_refuses_an_invalid_value_and_writes_nothing_of_it(rep):
    person = PersonFactory(owner=rep, email="kept@example.com")
    expected = _single_errors(
        services.person_update, actor=rep, person=person, changes={"email": "nope"}, expected_version=1
    )
    records, errors = services.people_update_many(actor=rep, updates=[(person, {"email": "nope"}, 1)])
    assert errors == {0: expected} and records == [None]
    person.refresh_from_db()
    assert (person.email, person.version) == ("kept@example.com", 1)
    assert not _audit(person, "update")
