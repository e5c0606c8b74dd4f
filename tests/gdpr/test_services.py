import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from activities.models import Activity
from contacts import services as contacts_services
from contacts.models import Person
from crm.email import email_queue
from crm.models import AuditEvent
from gdpr import services
from gdpr.models import GdprEvent, GdprSettings
from leads.models import Lead
from tests.factories import ActivityFactory, LeadFactory, PersonFactory

OLD_EMAIL = "zelda.quist@oldmail.example"
OLD_PHONE = "+46701239876"
OLD_FIRST, OLD_LAST = "Zelda", "Quistorp"


@pytest.fixture
def cover_email_and_phone(db):
    services.settings_update(
        actor=None, anonymised_fields=["person.email", "person.phone"], retention_months=0
    )


def _text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'tsvector')"
        )
        return cursor.fetchall()


def _tables_holding(needle: str) -> list[str]:
    """Every table.column of the database whose text holds `needle` (any case)."""
    found = []
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            cursor.execute(
                f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',  # noqa: S608 (names from the catalogue)
                [f"%{needle}%"],
            )
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    return found


@pytest.fixture
def zelda(personas, cover_email_and_phone):
    """A person with history, audit rows, a converted lead, activities and a mail quoting her."""
    person = contacts_services.person_create(
        actor=personas.manager,
        values={
            "first_name": OLD_FIRST,
            "last_name": OLD_LAST,
            "email": "first@oldmail.example",
            "owner": personas.rep,
        },
    )
    person = contacts_services.person_update(
        actor=personas.manager,
        person=person,
        changes={"email": OLD_EMAIL, "phone": OLD_PHONE, "custom_fields": {}},
        expected_version=person.version,
    )
    lead = LeadFactory(
        first_name=OLD_FIRST, last_name=OLD_LAST, email=OLD_EMAIL, phone=OLD_PHONE, converted_person=person,
        description=f"Met {OLD_FIRST} {OLD_LAST} at the fair",
    )  # fmt: skip
    lead.last_name = OLD_LAST  # a second history row of the lead
    lead.save()
    ActivityFactory(person=person, subject=f"Call {OLD_FIRST}", notes=f"Mail her at {OLD_EMAIL}")
    meeting = ActivityFactory(subject="Workshop", notes=f"{OLD_FIRST} {OLD_LAST} brings the slides")
    meeting.attendee_people.add(person)
    email_queue(
        recipients=[OLD_EMAIL], subject=f"Thank you {OLD_FIRST}", body_text=f"Dear {OLD_FIRST} {OLD_LAST}"
    )
    return person


def test_the_old_values_are_in_the_database_before(zelda):
    # The guard of the next test: the scan does find them where they are.
    assert any(place.startswith("contacts_historicalperson") for place in _tables_holding(OLD_EMAIL))
    assert any(place.startswith("crm_auditevent") for place in _tables_holding(OLD_PHONE))
    assert _tables_holding(OLD_LAST)


def test_anonymisation_leaves_the_old_values_in_no_column_of_any_table(zelda, manager):
    assert services.record_anonymise(actor=manager, record=zelda) is True
    for needle in (OLD_EMAIL, "first@oldmail.example", OLD_PHONE, OLD_LAST, OLD_FIRST):
        assert _tables_holding(needle) == [], needle


def test_anonymisation_reaches_history_linked_leads_and_search(zelda, manager):
    services.record_anonymise(actor=manager, record=zelda)
    zelda.refresh_from_db()
    assert (zelda.first_name, zelda.last_name, zelda.email, zelda.phone) == (
        "Anonymised",
        f"#{zelda.pk}",
        "",
        "",
    )
    history = list(Person.history.filter(id=zelda.pk))
    assert len(history) >= 2
    assert {(row.first_name, row.email, row.phone) for row in history} == {("Anonymised", "", "")}
    lead = Lead.objects.get(converted_person=zelda)
    assert (lead.first_name, lead.last_name, lead.email, lead.description) == (
        "",
        "Anonymised",
        "",
        "Met [anonymised] at the fair",
    )
    assert {row.email for row in Lead.history.filter(id=lead.pk)} == {""}
    assert not Person.objects.filter(search_text__contains="zelda").exists()
    assert Activity.objects.filter(attendee_people=zelda).count() == 1  # counts stay for reports


def test_anonymisation_is_logged_with_field_names_and_no_old_values(zelda, manager):
    services.record_anonymise(actor=manager, record=zelda)
    event = GdprEvent.objects.get(action=GdprEvent.Action.ANONYMISE, object_id=zelda.pk)
    assert event.actor == manager
    assert set(event.fields) == {"first_name", "last_name", "email", "phone"}
    assert OLD_EMAIL not in str(event.detail) and OLD_LAST not in str(event.detail)
    assert AuditEvent.objects.filter(verb="anonymise", object_id=str(zelda.pk)).exists()


def test_anonymising_twice_is_harmless_and_cannot_be_undone(zelda, manager):
    assert services.record_anonymise(actor=manager, record=zelda) is True
    assert services.record_anonymise(actor=manager, record=zelda) is False
    assert GdprEvent.objects.filter(action=GdprEvent.Action.ANONYMISE, object_id=zelda.pk).count() == 1
    # Nothing keeps the old values to restore from: not even the earliest history row.
    first = Person.history.filter(id=zelda.pk).earliest("history_date")
    assert first.instance.email == "" and first.instance.first_name == "Anonymised"


def test_fields_not_chosen_by_the_admin_are_kept(personas):
    person = PersonFactory(first_name=OLD_FIRST, email=OLD_EMAIL, title="CTO")
    services.record_anonymise(actor=personas.admin, record=person)
    person.refresh_from_db()
    assert person.first_name == "Anonymised" and person.email == OLD_EMAIL and person.title == "CTO"


@pytest.mark.parametrize("persona", ["rep", "restricted"])
def test_roles_without_the_permission_cannot_anonymise(personas, persona):
    person = PersonFactory(first_name=OLD_FIRST, owner=getattr(personas, persona))
    with pytest.raises(PermissionDenied):
        services.record_anonymise(actor=getattr(personas, persona), record=person)
    person.refresh_from_db()
    assert person.first_name == OLD_FIRST


def test_touch_resets_the_date_and_is_logged(personas):
    long_ago = timezone.now() - datetime.timedelta(days=900)
    person = PersonFactory(last_touched_at=long_ago)
    services.records_touch(actor=personas.manager, model=Person, pks=[person.pk], reason="Still a customer")
    person.refresh_from_db()
    assert person.last_touched_at > timezone.now() - datetime.timedelta(minutes=1)
    assert GdprEvent.objects.get(action="touch", object_id=person.pk).reason == "Still a customer"


def test_retention_job_anonymises_only_what_is_older_and_is_idempotent(db):
    now = timezone.now()
    old = PersonFactory(first_name="Old", last_touched_at=now - datetime.timedelta(days=800))
    older = PersonFactory(first_name="Older", last_touched_at=now - datetime.timedelta(days=1800))
    young = PersonFactory(first_name="Young", last_touched_at=now - datetime.timedelta(days=200))
    settings_row = GdprSettings.load()
    settings_row.retention_months = 24
    settings_row.save()
    assert services.retention_anonymise(batch_size=1) == 2
    assert services.retention_anonymise(batch_size=1) == 0
    assert {p.pk for p in Person.objects.filter(first_name="Anonymised")} == {old.pk, older.pk}
    young.refresh_from_db()
    assert young.first_name == "Young"
    assert GdprEvent.objects.filter(action="anonymise").count() == 2
    assert GdprEvent.objects.filter(action="retention").count() == 2


def test_retention_job_is_off_without_a_period(db):
    PersonFactory(first_name="Old", last_touched_at=timezone.now() - datetime.timedelta(days=8000))
    assert services.retention_anonymise() == 0
    assert not Person.objects.filter(first_name="Anonymised").exists()


def test_settings_refuse_unknown_fields(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.settings_update(actor=None, anonymised_fields=["person.owner"], retention_months=12)
    assert GdprSettings.load().anonymised_fields == []


def _people_with_copies(count: int, owner) -> list[int]:
    pks = []
    for number in range(count):
        person = PersonFactory(first_name=f"Batch{number}", email=f"batch{number}@old.example", owner=owner)
        contacts_services.person_update(
            actor=owner, person=person, changes={"title": f"Chief {number}"}, expected_version=person.version
        )
        ActivityFactory(person=person, notes=f"Mail batch{number}@old.example")
        LeadFactory(first_name=f"Batch{number}", converted_person=person)
        email_queue(recipients=[person.email], subject="Hello", body_text=f"Dear Batch{number}")
        pks.append(person.pk)
    return pks


def test_bulk_anonymisation_is_set_based_the_same_queries_for_2_and_20_people(
    personas, cover_email_and_phone
):
    from django.test.utils import CaptureQueriesContext

    warm_up = _people_with_copies(1, personas.admin)  # content types cached, as in a worker
    services.records_anonymise(actor=personas.admin, model=Person, pks=warm_up)
    few = _people_with_copies(2, personas.admin)
    many = _people_with_copies(20, personas.admin)
    with CaptureQueriesContext(connection) as small:
        assert services.records_anonymise(actor=personas.admin, model=Person, pks=few) == 2
    with CaptureQueriesContext(connection) as large:
        assert services.records_anonymise(actor=personas.admin, model=Person, pks=many) == 20
    assert len(large.captured_queries) == len(small.captured_queries)
    assert not Person.objects.filter(first_name__startswith="Batch").exists()
    assert not Lead.objects.filter(first_name__startswith="Batch").exists()
    assert not Activity.objects.filter(notes__contains="@old.example").exists()
