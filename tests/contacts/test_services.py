"""contacts.services: creating, changing, deleting and merging companies and people."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from contacts import services
from contacts.models import Company, CompanyCategory, Person, Sector
from crm.documents import document_attach
from crm.exceptions import StaleRecordError
from crm.history import history_entries
from crm.models import AuditEvent, Document
from leads.models import Lead
from tests.factories import CompanyFactory, LeadFactory, PersonFactory


def category(name):
    return CompanyCategory.objects.get(name=name)


def audit_rows(record, verb):
    return AuditEvent.objects.filter(
        object_id=str(record.pk), verb=verb, content_type__model=record._meta.model_name
    )


def pdf(name="contract.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


# Companies: create and update


def test_company_create_stores_the_values_with_version_one_and_a_create_audit_row(rep):
    company = services.company_create(
        actor=rep,
        values={"name": "  Nordlys Arkiv AB  ", "email_domain": " @Nordlys.SE ", "owner": rep},
    )
    company.refresh_from_db()
    assert (company.name, company.email_domain, company.owner, company.version) == (
        "Nordlys Arkiv AB",
        "nordlys.se",
        rep,
        1,
    )
    row = audit_rows(company, "create").get()
    assert row.actor == rep
    assert company.history.get().history_user == rep


def test_company_create_without_owner_leaves_it_unassigned(rep):
    company = services.company_create(actor=rep, values={"name": "Nobody's AB"})
    assert company.owner is None


def test_company_create_sets_the_categories(rep):
    company = services.company_create(
        actor=rep,
        values={"name": "Nordlys", "categories": [category("Newsletter"), category("Trade show contact")]},
    )
    assert set(company.categories.values_list("name", flat=True)) == {"Newsletter", "Trade show contact"}


def test_company_update_bumps_the_version_and_audits_only_the_changed_fields(rep):
    company = CompanyFactory(name="Old name", website="https://old.example/", owner=rep)
    updated = services.company_update(
        actor=rep,
        company=company,
        changes={"name": "New name", "website": "https://old.example/", "owner": rep},
        expected_version=1,
    )
    updated.refresh_from_db()
    assert (updated.name, updated.version) == ("New name", 2)
    assert audit_rows(company, "update").get().changes == {"name": "New name"}


def test_company_update_with_an_old_version_is_refused_and_leaves_the_row_unchanged(rep, manager):
    company = CompanyFactory(name="Original", owner=rep)
    services.company_update(actor=manager, company=company, changes={"name": "Manager's"}, expected_version=1)

    with pytest.raises(StaleRecordError) as refused:
        services.company_update(actor=rep, company=company, changes={"name": "Rep's"}, expected_version=1)

    company.refresh_from_db()
    assert (company.name, company.version) == ("Manager's", 2)
    assert refused.value.current.name == "Manager's"
    assert refused.value.current.version == 2
    assert audit_rows(company, "update").count() == 1


def test_company_update_sets_the_categories_and_audits_them_by_id(rep):
    newsletter, trade_show, reference = (
        category("Newsletter"),
        category("Trade show contact"),
        category("Reference customer"),
    )
    company = services.company_create(actor=rep, values={"name": "Nordlys", "categories": [newsletter]})
    services.company_update(
        actor=rep, company=company, changes={"categories": [trade_show, reference]}, expected_version=1
    )
    assert set(company.categories.all()) == {trade_show, reference}
    assert audit_rows(company, "update").get().changes == {
        "categories": sorted([trade_show.pk, reference.pk], key=str)
    }


def test_company_update_with_the_same_categories_records_no_change(rep):
    newsletter = category("Newsletter")
    company = services.company_create(actor=rep, values={"name": "Nordlys", "categories": [newsletter]})
    services.company_update(
        actor=rep, company=company, changes={"categories": [newsletter]}, expected_version=1
    )
    assert audit_rows(company, "update").get().changes == {}


def test_company_update_normalises_the_email_domain(rep):
    company = CompanyFactory(owner=rep)
    updated = services.company_update(
        actor=rep, company=company, changes={"email_domain": "@Example.COM "}, expected_version=1
    )
    assert updated.email_domain == "example.com"


def test_company_create_refuses_invalid_values_with_a_validation_error(rep):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.company_create(actor=rep, values={"name": "X", "website": "not a url"})
    assert "website" in refused.value.error_dict
    assert not Company.objects.exists()


def test_company_delete_removes_it_with_an_audit_row_and_keeps_its_history(rep):
    company = CompanyFactory(owner=rep)
    pk = company.pk
    services.company_delete(actor=rep, company=company)
    assert not Company.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(verb="delete", object_id=str(pk)).exists()
    assert Company.history.filter(id=pk, history_type="-").exists()


def test_company_delete_deletes_its_documents_and_their_files(
    rep, media_root, django_capture_on_commit_callbacks
):
    company, other = CompanyFactory(owner=rep), CompanyFactory(owner=rep)
    document = document_attach(actor=rep, record=company, uploaded_file=pdf())
    kept = document_attach(actor=rep, record=other, uploaded_file=pdf("other.pdf"))
    storage, stored_name = document.file.storage, document.file.name

    with django_capture_on_commit_callbacks(execute=True):
        services.company_delete(actor=rep, company=company)

    assert list(Document.objects.all()) == [kept]
    assert not storage.exists(stored_name)
    assert storage.exists(kept.file.name)


@pytest.mark.parametrize("name", ["is_superuser", "version", "created_at", "search_text", "id"])
def test_company_create_refuses_field_names_outside_the_writable_set(rep, name):
    with pytest.raises(TypeError, match=name):
        services.company_create(actor=rep, values={"name": "Nordlys", name: 1})
    assert not Company.objects.exists()


@pytest.mark.parametrize("name", ["version", "created_at", "updated_at", "pk"])
def test_company_update_refuses_field_names_outside_the_writable_set(rep, name):
    company = CompanyFactory(name="Nordlys", owner=rep)
    with pytest.raises(TypeError):
        services.company_update(actor=rep, company=company, changes={name: 5}, expected_version=1)
    company.refresh_from_db()
    assert company.version == 1


# People: create and update


def test_person_create_lower_cases_and_trims_the_email(rep):
    person = services.person_create(
        actor=rep, values={"first_name": "Åsa", "last_name": "Öberg", "email": "  Asa.Oberg@Nordlys.SE "}
    )
    person.refresh_from_db()
    assert person.email == "asa.oberg@nordlys.se"
    assert audit_rows(person, "create").exists()


def test_person_update_lower_cases_the_email(rep):
    person = PersonFactory(owner=rep)
    updated = services.person_update(
        actor=rep, person=person, changes={"email": "ANNA@Example.ORG"}, expected_version=1
    )
    assert updated.email == "anna@example.org"


def test_person_create_with_consent_records_when_it_was_given(rep):
    person = services.person_create(actor=rep, values={"first_name": "Anna", "consent_email": True})
    assert person.consent_email
    assert person.consent_updated_at is not None


def test_person_update_records_when_consent_changes(rep):
    person = PersonFactory(owner=rep, consent_email=False, consent_updated_at=None)
    before = timezone.now()
    updated = services.person_update(
        actor=rep, person=person, changes={"consent_email": True}, expected_version=1
    )
    assert updated.consent_email
    assert updated.consent_updated_at >= before


def test_person_update_without_a_consent_change_keeps_the_consent_date(rep):
    given = timezone.now() - datetime.timedelta(days=30)
    person = PersonFactory(owner=rep, consent_email=True, consent_phone=False, consent_updated_at=given)
    updated = services.person_update(
        actor=rep,
        person=person,
        changes={"title": "Archivist", "consent_email": True, "consent_phone": False},
        expected_version=1,
    )
    updated.refresh_from_db()
    assert updated.consent_updated_at == given
    assert "consent_email" not in audit_rows(person, "update").get().changes


def test_person_update_touches_the_person(rep):
    long_ago = timezone.now() - datetime.timedelta(days=400)
    person = PersonFactory(owner=rep, last_touched_at=long_ago)
    updated = services.person_update(actor=rep, person=person, changes={"title": "CTO"}, expected_version=1)
    updated.refresh_from_db()
    assert updated.last_touched_at > long_ago + datetime.timedelta(days=399)
    assert updated.version == 2


def test_person_update_with_an_old_version_is_refused_and_leaves_the_row_unchanged(rep):
    person = PersonFactory(owner=rep, title="Archivist")
    services.person_update(actor=rep, person=person, changes={"title": "Head archivist"}, expected_version=1)
    with pytest.raises(StaleRecordError):
        services.person_update(actor=rep, person=person, changes={"title": "Intern"}, expected_version=1)
    person.refresh_from_db()
    assert (person.title, person.version) == ("Head archivist", 2)


def test_person_update_audits_only_the_changed_fields(rep):
    person = PersonFactory(owner=rep, first_name="Anna", title="Archivist")
    services.person_update(
        actor=rep, person=person, changes={"first_name": "Anna", "title": "CTO"}, expected_version=1
    )
    changes = audit_rows(person, "update").get().changes
    assert "title" in changes
    assert "first_name" not in changes


@pytest.mark.parametrize(
    "name", ["is_staff", "version", "search_text", "consent_updated_at", "last_touched_at"]
)
def test_person_create_refuses_field_names_outside_the_writable_set(rep, name):
    with pytest.raises(TypeError):
        services.person_create(actor=rep, values={"first_name": "Anna", name: 1})
    assert not Person.objects.exists()


def test_person_update_refuses_field_names_outside_the_writable_set(rep):
    person = PersonFactory(owner=rep)
    with pytest.raises(TypeError):
        services.person_update(
            actor=rep, person=person, changes={"created_at": timezone.now()}, expected_version=1
        )


def test_person_delete_removes_the_person_with_an_audit_row(rep):
    person = PersonFactory(owner=rep)
    pk = person.pk
    services.person_delete(actor=rep, person=person)
    assert not Person.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(verb="delete", object_id=str(pk)).exists()


# Company merge


@pytest.fixture
def merge_pair(manager, rep):
    """A survivor owned by the manager and a duplicate owned by a member of the manager's team."""
    survivor = CompanyFactory(
        name="Nordlys Arkiv AB",
        owner=manager,
        email_domain="nordlys.se",
        website="",
        phone="",
        description="Keep this description",
        custom_fields={"tier": "gold", "employees": 40},
    )
    duplicate = CompanyFactory(
        name="Nordlys Arkiv",
        owner=rep,
        email_domain="nordlys.no",
        website="https://nordlys.no/",
        phone="+4723000000",
        description="Duplicate description",
        sector=Sector.objects.get(name="Public"),
        custom_fields={"tier": "silver", "region": "Tromsø"},
    )
    return survivor, duplicate


def test_company_merge_moves_people_and_converted_leads_to_the_survivor(manager, merge_pair):
    survivor, duplicate = merge_pair
    people = PersonFactory.create_batch(2, company=duplicate)
    staying = PersonFactory(company=survivor)
    lead = LeadFactory(status=Lead.Status.CONVERTED, converted_company=duplicate)

    services.company_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    assert set(survivor.people.all()) == {*people, staying}
    lead.refresh_from_db()
    assert lead.converted_company == survivor


def test_company_merge_moves_documents_to_the_survivor(manager, merge_pair, media_root):
    survivor, duplicate = merge_pair
    document = document_attach(actor=manager, record=duplicate, uploaded_file=pdf())

    services.company_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    document.refresh_from_db()
    assert document.record == survivor
    assert Document.objects.filter(object_id=duplicate.pk).count() == 0
    assert document.file.storage.exists(document.file.name)


def test_company_merge_fills_the_survivors_empty_fields_from_the_duplicate(manager, rep, merge_pair):
    survivor, duplicate = merge_pair

    merged = services.company_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    merged.refresh_from_db()
    assert merged.name == "Nordlys Arkiv AB"
    assert merged.email_domain == "nordlys.se"
    assert merged.description == "Keep this description"
    assert merged.owner == manager
    assert merged.website == "https://nordlys.no/"
    assert merged.phone == "+4723000000"
    assert merged.sector.name == "Public"
    assert merged.version == survivor.version + 1


def test_company_merge_joins_the_categories(manager, merge_pair):
    survivor, duplicate = merge_pair
    survivor.categories.set([category("Newsletter")])
    duplicate.categories.set([category("Reference customer")])

    merged = services.company_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    assert set(merged.categories.values_list("name", flat=True)) == {"Newsletter", "Reference customer"}


def test_company_merge_joins_categories_both_companies_have(manager, merge_pair):
    survivor, duplicate = merge_pair
    survivor.categories.set([category("Newsletter"), category("Trade show contact")])
    duplicate.categories.set([category("Trade show contact"), category("Reference customer")])

    merged = services.company_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    assert set(merged.categories.values_list("name", flat=True)) == {
        "Newsletter",
        "Trade show contact",
        "Reference customer",
    }


def test_company_merge_merges_custom_fields_with_the_survivors_values_winning(manager, merge_pair):
    survivor, duplicate = merge_pair
    merged = services.company_merge(actor=manager, survivor=survivor, duplicate=duplicate)
    merged.refresh_from_db()
    assert merged.custom_fields == {"tier": "gold", "employees": 40, "region": "Tromsø"}


def test_company_merge_deletes_the_duplicate_and_keeps_its_history(manager, merge_pair):
    survivor, duplicate = merge_pair
    duplicate_pk = duplicate.pk

    services.company_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    assert not Company.objects.filter(pk=duplicate_pk).exists()
    history = Company.history.filter(id=duplicate_pk)
    assert set(history.values_list("history_type", flat=True)) == {"+", "-"}
    assert history.get(history_type="-").history_user == manager


def test_company_merge_writes_a_merge_audit_row_naming_the_duplicate(manager, merge_pair):
    survivor, duplicate = merge_pair
    PersonFactory.create_batch(2, company=duplicate)

    services.company_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    row = audit_rows(survivor, "merge").get()
    assert row.actor == manager
    assert row.changes["merged"] == "Nordlys Arkiv"
    assert row.changes["contacts.Person"] == 2
    assert AuditEvent.objects.filter(verb="delete", object_id=str(duplicate.pk)).exists()


def test_sales_rep_without_the_merge_permission_cannot_merge_companies(rep):
    survivor, duplicate = CompanyFactory(owner=rep), CompanyFactory(owner=rep)
    person = PersonFactory(company=duplicate)

    with pytest.raises(PermissionDenied):
        services.company_merge(actor=rep, survivor=survivor, duplicate=duplicate)

    assert Company.objects.filter(pk=duplicate.pk).exists()
    person.refresh_from_db()
    assert person.company == duplicate
    assert not AuditEvent.objects.filter(verb="merge").exists()


@pytest.mark.parametrize("side", ["survivor", "duplicate"])
def test_merge_is_refused_when_the_actor_cannot_edit_one_side(
    manager, rep, rep_other_team, side, managers_see_only_their_teams
):
    own, others = CompanyFactory(owner=rep), CompanyFactory(owner=rep_other_team)
    survivor, duplicate = (others, own) if side == "survivor" else (own, others)

    with pytest.raises(PermissionDenied):
        services.company_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    assert Company.objects.filter(pk__in=[own.pk, others.pk]).count() == 2


def test_merging_a_company_into_itself_is_refused(admin):
    company = CompanyFactory()
    with pytest.raises(ValueError):
        services.company_merge(actor=admin, survivor=company, duplicate=company)
    assert Company.objects.filter(pk=company.pk).exists()


# Person merge


@pytest.mark.parametrize(
    ("survivor_consent", "duplicate_consent", "kept"),
    [
        ((True, True), (True, False), (True, False)),
        ((False, True), (True, True), (False, True)),
        ((True, True), (True, True), (True, True)),
        ((False, False), (True, True), (False, False)),
    ],
)
def test_person_merge_keeps_consent_only_where_both_gave_it(
    manager, survivor_consent, duplicate_consent, kept
):
    survivor = PersonFactory(
        owner=manager, consent_email=survivor_consent[0], consent_phone=survivor_consent[1]
    )
    duplicate = PersonFactory(
        owner=manager, consent_email=duplicate_consent[0], consent_phone=duplicate_consent[1]
    )

    merged = services.person_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    merged.refresh_from_db()
    assert (merged.consent_email, merged.consent_phone) == kept


@pytest.mark.parametrize(
    ("survivor_unsubscribed", "duplicate_unsubscribed", "kept"),
    [(None, None, None), (None, 2, 2), (1, None, 1), (3, 2, 2)],
)
def test_person_merge_keeps_the_earliest_unsubscribe(
    manager, survivor_unsubscribed, duplicate_unsubscribed, kept
):
    day = {n: timezone.now() - datetime.timedelta(days=10 - n) for n in (1, 2, 3)}
    survivor = PersonFactory(owner=manager, unsubscribed_at=day.get(survivor_unsubscribed))
    duplicate = PersonFactory(owner=manager, unsubscribed_at=day.get(duplicate_unsubscribed))

    merged = services.person_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    merged.refresh_from_db()
    assert merged.unsubscribed_at == day.get(kept)


def test_merge_handlers_run_before_the_records_move(manager):
    survivor, duplicate = PersonFactory(owner=manager), PersonFactory(owner=manager)
    lead = LeadFactory(converted_person=duplicate)
    seen = []

    def handler(*, survivor, duplicate):
        lead.refresh_from_db()
        seen.append((survivor.pk, duplicate.pk, lead.converted_person_id))

    services.on_merge(handler)
    services.on_merge(handler)  # registering twice is a no-op
    try:
        services.person_merge(actor=manager, survivor=survivor, duplicate=duplicate)
    finally:
        services._merge_handlers.remove(handler)
    assert seen == [(survivor.pk, duplicate.pk, duplicate.pk)]


def test_person_merge_fills_blanks_moves_leads_and_deletes_the_duplicate(manager, rep):
    company = CompanyFactory(owner=rep)
    survivor = PersonFactory(owner=manager, first_name="Anna", last_name="Kovács", email="", title="")
    duplicate = PersonFactory(
        owner=rep,
        first_name="Anna",
        last_name="Kovacs",
        email="anna@film.hu",
        title="Archivist",
        company=company,
    )
    lead = LeadFactory(status=Lead.Status.CONVERTED, converted_person=duplicate)
    duplicate_pk = duplicate.pk

    merged = services.person_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    merged.refresh_from_db()
    assert (merged.last_name, merged.email, merged.title, merged.company) == (
        "Kovács",
        "anna@film.hu",
        "Archivist",
        company,
    )
    lead.refresh_from_db()
    assert lead.converted_person == merged
    assert not Person.objects.filter(pk=duplicate_pk).exists()
    assert Person.history.filter(id=duplicate_pk).exists()
    assert audit_rows(merged, "merge").get().changes["merged"] == "Anna Kovacs"


def test_sales_rep_cannot_merge_people(rep):
    survivor, duplicate = PersonFactory(owner=rep), PersonFactory(owner=rep)
    with pytest.raises(PermissionDenied):
        services.person_merge(actor=rep, survivor=survivor, duplicate=duplicate)
    assert Person.objects.count() == 2


def test_merging_a_person_into_itself_is_refused(admin):
    person = PersonFactory()
    with pytest.raises(ValueError):
        services.person_merge(actor=admin, survivor=person, duplicate=person)


# The merge page


def test_the_merge_page_merges_the_chosen_duplicate_and_opens_the_survivor(client, manager, merge_pair):
    survivor, duplicate = merge_pair
    client.force_login(manager)
    response = client.post(
        reverse("contacts:company_merge", kwargs={"pk": survivor.pk}), {"duplicate": duplicate.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == survivor.get_absolute_url()
    assert not Company.objects.filter(pk=duplicate.pk).exists()


def test_the_merge_page_refuses_a_duplicate_the_user_cannot_edit(
    client, manager, rep_other_team, managers_see_only_their_teams
):
    survivor, others = CompanyFactory(owner=manager), CompanyFactory(owner=rep_other_team)
    client.force_login(manager)
    response = client.post(
        reverse("contacts:company_merge", kwargs={"pk": survivor.pk}), {"duplicate": others.pk}
    )
    assert response.status_code == 200
    assert "duplicate" in response.context["form"].errors
    assert Company.objects.filter(pk=others.pk).exists()


def test_the_merge_page_is_forbidden_to_sales_reps(client, rep):
    survivor, duplicate = CompanyFactory(owner=rep), CompanyFactory(owner=rep)
    client.force_login(rep)
    response = client.post(
        reverse("contacts:company_merge", kwargs={"pk": survivor.pk}), {"duplicate": duplicate.pk}
    )
    assert response.status_code == 403
    assert Company.objects.count() == 2


# Change history shown on the card (crm.history)


def test_history_entries_list_changes_newest_first_with_labels_and_readable_values(rep, manager):
    company = services.company_create(actor=rep, values={"name": "Nordlys", "owner": rep})
    services.company_update(
        actor=manager,
        company=company,
        changes={
            "name": "Nordlys Arkiv",
            "sector": Sector.objects.get(name="Public"),
            "custom_fields": {"a": 1},
        },
        expected_version=1,
    )

    newest, oldest = history_entries(company, user=rep)

    assert (newest.kind, newest.who, oldest.kind, oldest.who) == ("~", manager, "+", rep)
    assert sorted(newest.changes, key=lambda change: str(change[0])) == [
        ("custom fields", "…", "…"),
        ("name", "Nordlys", "Nordlys Arkiv"),
        ("sector", None, Sector.objects.get(name="Public")),
    ]


def test_history_entries_stop_at_the_limit(rep):
    company = services.company_create(actor=rep, values={"name": "v1"})
    for version in range(1, 6):
        company = services.company_update(
            actor=rep, company=company, changes={"name": f"v{version + 1}"}, expected_version=version
        )
    entries = history_entries(company, user=rep, limit=3)
    assert [entry.changes[0][2] for entry in entries] == ["v6", "v5", "v4"]
