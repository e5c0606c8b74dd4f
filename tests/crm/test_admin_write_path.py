"""Django admin writes through the services: the same gates, closing dates, sales orders, audit
rows, versions and minimum fields as the app, and a refusal shown on the form, never half a save."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from contacts.models import Person
from crm.models import AuditEvent
from leads.models import Lead
from opportunities import services as deal_services
from opportunities.models import Deal, Pipeline, Stage
from opportunities.sales.models import SalesOrder
from tests.factories import CompanyFactory, DealFactory, LeadFactory, PersonFactory


@pytest.fixture(autouse=True)
def _media(media_root):
    return media_root  # a won deal's sales order writes a PDF


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def posted(page) -> dict:
    """What the browser posts back from an admin change page as it was rendered."""
    bound_forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        bound_forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in bound_forms:
        for bound in form:
            value = bound.value()  # already as the widget renders it (a JSON field's text)
            if value is not None and value is not False:
                data[bound.html_name] = value
    return data


def stages_of(pipeline_name: str) -> dict[str, Stage]:
    return {stage.name: stage for stage in Stage.objects.filter(pipeline__name=pipeline_name)}


def change_url(record) -> str:
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])


def save_in_admin(client, record, **changes):
    url = change_url(record)
    return client.post(url, {**posted(client.get(url)), **changes})


def form_errors(response) -> list[str]:
    form = response.context["adminform"].form
    return [message for errors in form.errors.values() for message in errors]


def ready_to_win(pipeline_name: str, rep) -> Deal:
    """A deal in its pipeline's first stage with what every stage up to its won stage needs."""
    pipeline = Pipeline.objects.get(name=pipeline_name)
    company = CompanyFactory(owner=rep)
    return DealFactory(
        pipeline=pipeline,
        stage=pipeline.stages.order_by("position").first(),
        name="Archive scan",
        owner=rep,
        company=company,
        primary_contact=PersonFactory(owner=rep, company=company),
        value=Decimal("1200"),
        expected_close_date=datetime.date(2027, 3, 31),
    )


# Deals: the stage and the pipeline


@pytest.mark.parametrize(("pipeline", "won"), [("Standard", "Order"), ("Classic", "Closed won")])
def test_a_deal_won_in_admin_gets_its_closing_date_sales_order_audit_row_and_version(
    admin_client, rep, pipeline, won
):
    deal = ready_to_win(pipeline, rep)

    response = save_in_admin(admin_client, deal, stage=stages_of(pipeline)[won].pk)

    assert response.status_code == 302, response.context and form_errors(response)
    deal.refresh_from_db()
    assert (deal.stage.name, deal.closed_on, deal.version) == (won, timezone.localdate(), 2)
    order = SalesOrder.objects.get(deal=deal)
    assert order.total == Decimal("1200.00")
    moves = AuditEvent.objects.filter(object_id=str(deal.pk), verb="move stage")
    assert [event.changes["to"] for event in moves] == [won]


def test_an_admin_save_the_gate_refuses_shows_its_messages_and_changes_nothing(admin_client, rep):
    deal = DealFactory(owner=rep, name="Archive scan")  # Standard, Prospect: no company, value or date
    order = stages_of("Standard")["Order"]

    response = save_in_admin(admin_client, deal, stage=order.pk, description="Written in admin")

    assert response.status_code == 200
    assert set(form_errors(response)) == {
        "Offer needs a company.",
        "Offer needs an estimated value.",
        "Offer needs an expected close date.",
    }
    assert "Offer needs an estimated value." in response.content.decode()
    # The form keeps what was typed in.
    assert response.context["adminform"].form["description"].value() == "Written in admin"
    deal.refresh_from_db()
    assert (deal.stage.name, deal.description, deal.version, deal.closed_on) == ("Prospect", "", 1, None)
    assert not SalesOrder.objects.exists()
    assert not AuditEvent.objects.filter(object_id=str(deal.pk)).exists()
    assert not LogEntry.objects.exists()


def test_changing_only_the_pipeline_in_admin_lands_the_deal_on_a_stage_of_that_pipeline(admin_client, rep):
    deal = DealFactory(owner=rep, name="Archive scan")  # Standard, Prospect
    classic = Pipeline.objects.get(name="Classic")

    response = save_in_admin(admin_client, deal, pipeline=classic.pk)

    assert response.status_code == 302, response.context and form_errors(response)
    deal.refresh_from_db()
    assert (deal.pipeline, deal.stage) == (classic, stages_of("Classic")["Prospecting"])
    assert deal.version == 2
    change = AuditEvent.objects.get(object_id=str(deal.pk), verb="change pipeline")
    assert change.changes == {"from": "Standard: Prospect", "to": "Classic: Prospecting"}


def test_a_pipeline_change_in_admin_passes_the_new_pipelines_gate(admin_client, rep):
    deal = DealFactory(owner=rep, name="Archive scan")  # no vertical, description or ticks
    journey = Pipeline.objects.get(name="Business Development Journey")

    response = save_in_admin(admin_client, deal, pipeline=journey.pk)

    assert response.status_code == 200
    errors = form_errors(response)
    assert any(message.startswith("Identify needs one of the prioritised verticals") for message in errors)
    assert any(message.startswith("Identify: confirm that") for message in errors)
    deal.refresh_from_db()
    assert (deal.pipeline.name, deal.stage.name, deal.version) == ("Standard", "Prospect", 1)


@pytest.mark.parametrize("pipeline", ["Standard", "Classic"])
def test_a_stage_of_another_pipeline_is_refused_on_the_admin_form(admin_client, rep, pipeline):
    deal = DealFactory(owner=rep, name="Archive scan")  # Standard, Prospect
    chosen = Pipeline.objects.get(name=pipeline)
    journey_stage = stages_of("Business Development Journey")["Identify"]

    response = save_in_admin(admin_client, deal, pipeline=chosen.pk, stage=journey_stage.pk)

    assert response.status_code == 200
    assert form_errors(response) == [f"Choose a stage of the pipeline {pipeline}."]
    deal.refresh_from_db()
    assert (deal.pipeline.name, deal.stage.name, deal.version) == ("Standard", "Prospect", 1)


def test_a_deal_added_in_admin_is_created_by_the_service_through_the_gates(admin_client, rep):
    standard = stages_of("Standard")
    company = CompanyFactory(owner=rep)
    page = admin_client.get(reverse("admin:opportunities_deal_add"))
    data = {
        **posted(page),
        "pipeline": standard["Prospect"].pipeline_id,
        "stage": standard["Order"].pk,
        "name": "Archive scan",
        "currency": "EUR",
        "owner": rep.pk,
        "custom_fields": "{}",
    }

    refused = admin_client.post(reverse("admin:opportunities_deal_add"), data)
    assert refused.status_code == 200
    assert "Offer needs an estimated value." in form_errors(refused)
    assert not Deal.objects.exists()

    data.update(company=company.pk, value="900", expected_close_date="2027-03-31")
    created = admin_client.post(reverse("admin:opportunities_deal_add"), data)
    assert created.status_code == 302, created.context and form_errors(created)
    deal = Deal.objects.get()
    assert (deal.stage.name, deal.closed_on) == ("Order", timezone.localdate())
    assert SalesOrder.objects.filter(deal=deal).exists()
    assert AuditEvent.objects.filter(object_id=str(deal.pk), verb="create").exists()


def test_an_admin_form_left_open_while_the_deal_changed_in_the_app_is_refused(admin_client, rep):
    deal = DealFactory(owner=rep, name="Archive scan")
    url = change_url(deal)
    data = posted(admin_client.get(url))
    deal_services.deal_update(
        actor=rep, deal=deal, changes={"description": "From the app"}, expected_version=1
    )

    response = admin_client.post(url, {**data, "name": "Renamed in admin"})

    assert response.status_code == 200
    assert form_errors(response)[0].startswith("Someone else saved this record while you were editing it")
    deal.refresh_from_db()
    assert (deal.name, deal.description, deal.version) == ("Archive scan", "From the app", 2)


# Companies, people and leads: the same effects as an edit in the app


KINDS = {
    "company": (lambda rep: CompanyFactory(owner=rep), "name", "Nordlys Arkiv AB"),
    "person": (lambda rep: PersonFactory(owner=rep), "last_name", "Öberg"),
    "lead": (lambda rep: LeadFactory(owner=rep), "last_name", "Öberg"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_an_admin_edit_writes_the_same_audit_row_and_version_as_the_app(admin_client, rep, kind):
    make, field, value = KINDS[kind]
    record = make(rep)

    response = save_in_admin(admin_client, record, **{field: value})

    assert response.status_code == 302, response.context and form_errors(response)
    record.refresh_from_db()
    assert (getattr(record, field), record.version) == (value, 2)
    event = AuditEvent.objects.get(object_id=str(record.pk))
    assert (event.verb, event.actor.username, event.changes[field]) == ("update", "admin", value)
    # Only what changed, plus what the service itself stamps (a person was touched now).
    assert set(event.changes) == {field} | ({"last_touched_at"} if kind == "person" else set())


@pytest.mark.parametrize(
    ("kind", "field", "message"),
    [
        ("company", "sector", "Sector is required for every company."),
        ("person", "title", "Title is required for every person."),
        ("lead", "details", "Details is required for every lead."),
    ],
)
def test_admin_cannot_empty_a_minimum_field(admin_client, rep, kind, field, message):
    factories = {"company": CompanyFactory, "person": PersonFactory, "lead": LeadFactory}
    record = factories[kind](owner=rep, complete=True)

    response = save_in_admin(admin_client, record, **{field: ""})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    record.refresh_from_db()
    assert getattr(record, record._meta.get_field(field).attname) not in (None, "")
    assert record.version == 1


def test_admin_cannot_mark_a_lead_converted_behind_the_conversion(admin_client, rep):
    lead = LeadFactory(owner=rep)

    response = save_in_admin(admin_client, lead, status=Lead.Status.CONVERTED)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [
        "Use “Convert” to turn a lead into a person and a company."
    ]
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW


# Deleting, one record and the "delete selected" action


DELETABLE = {
    "company": lambda rep: CompanyFactory(owner=rep),
    "person": lambda rep: PersonFactory(owner=rep),
    "lead": lambda rep: LeadFactory(owner=rep),
    "deal": lambda rep: DealFactory(owner=rep),
}


@pytest.mark.parametrize("kind", DELETABLE)
def test_deleting_in_admin_goes_through_the_service(admin_client, rep, kind):
    record = DELETABLE[kind](rep)
    opts = record._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[record.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not type(record).objects.filter(pk=record.pk).exists()
    assert AuditEvent.objects.filter(
        verb="delete", object_id=str(record.pk), actor__username="admin"
    ).exists()


@pytest.mark.parametrize("kind", DELETABLE)
def test_the_delete_selected_action_deletes_each_record_through_the_service(admin_client, rep, kind):
    records = [DELETABLE[kind](rep) for _ in range(2)]
    opts = records[0]._meta

    response = admin_client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk for record in records], "post": "yes"},
    )

    assert response.status_code == 302
    assert not type(records[0]).objects.exists()
    deleted = AuditEvent.objects.filter(verb="delete").values_list("object_id", flat=True)
    assert sorted(deleted) == sorted(str(record.pk) for record in records)


def test_a_person_added_in_admin_is_created_by_the_service(admin_client, rep):
    company = CompanyFactory(owner=rep, complete=True)
    page = admin_client.get(reverse("admin:contacts_person_add"))
    data = {
        **posted(page),
        "first_name": "Åsa",
        "last_name": "Öberg",
        "email": "Asa.Oberg@Nordlys.SE",
        "phone": "+46 70 123 45 67",
        "company": company.pk,
        "title": "Head of Archives",
        "custom_fields": "{}",
    }
    refused = admin_client.post(reverse("admin:contacts_person_add"), data)
    assert refused.context["adminform"].form.errors["business_unit"] == [
        "Business unit is required for every person."
    ]
    assert not Person.objects.exists()

    data["business_unit"] = company.business_unit_id
    response = admin_client.post(reverse("admin:contacts_person_add"), data)

    assert response.status_code == 302, response.context and form_errors(response)
    person = Person.objects.get()
    assert person.email == "asa.oberg@nordlys.se"  # normalised by the service, as in the app
    assert AuditEvent.objects.filter(verb="create", object_id=str(person.pk)).exists()


@pytest.fixture
def quote(rep, admin):
    from opportunities.sales import services as sales

    deal = DealFactory(owner=rep, value=Decimal("100"))
    sales.deal_line_add(
        actor=admin,
        deal=deal,
        values={"description": "Archive box", "quantity": 1, "unit_price": Decimal(100)},
    )
    return sales.quote_create(actor=admin, deal=deal)


def test_a_quote_status_set_in_admin_goes_through_the_quote_service(admin_client, quote):
    response = save_in_admin(admin_client, quote, status="sent")

    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == "sent"
    assert AuditEvent.objects.filter(verb="change quote status", object_id=str(quote.deal_id)).count() == 1


def test_a_quote_transition_the_service_refuses_is_an_admin_form_error(admin_client, quote):
    response = save_in_admin(admin_client, quote, status="accepted")  # a draft was never sent

    assert response.status_code == 200
    assert form_errors(response) == ["A quote that is draft cannot be marked accepted."]
    quote.refresh_from_db()
    assert quote.status == "draft"
    assert not AuditEvent.objects.filter(verb="change quote status").exists()


def test_a_quote_cannot_be_deleted_in_admin(admin_client, quote):
    url = reverse("admin:opportunities_quote_delete", args=[quote.pk])

    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert type(quote).objects.filter(pk=quote.pk).exists()
