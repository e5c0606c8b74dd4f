"""The sales board as seeds 001 and 002 describe it (issue 8, section 4): the user filter means the
customer's owner, export and batch SMS cover every customer in the board's view (unprocessed ones
included), batch SMS only where enabled, fixed labels per pipeline, and the one money format in
the seeded quote and order templates."""

import csv
import datetime
import importlib
import io
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from opportunities.board import messaging
from opportunities.board import selectors as board
from opportunities.board.forms import BoardFilterForm
from opportunities.forms import DealForm, NewDealForm
from opportunities.models import Deal, DocumentTemplate, Pipeline
from tests.factories import CompanyFactory, DealFactory, PersonFactory

TODAY = datetime.date(2026, 5, 14)
IN_QUARTER = datetime.date(2026, 6, 1)


@pytest.fixture
def sms_on(classic):
    classic[0].sms_enabled = True
    classic[0].save(update_fields=["sms_enabled"])
    return classic[0]


def classic_deal(classic, stage_name="Quotation", **values):
    pipeline, stages = classic
    values.setdefault("expected_close_date", IN_QUARTER)
    return DealFactory(pipeline=pipeline, stage=stages[stage_name], **values)


def quarter_query(classic, **options):
    start, end = board.period_range(board.PERIOD_QUARTER, today=TODAY)
    return board.BoardQuery(pipeline=classic[0], start=start, end=end, today=TODAY, **options)


def names(user, query):
    return {deal.name for deal in board.board_deals(user=user, query=query)}


def board_url(name="opportunities:board", **params):
    return reverse(name) + (f"?{urlencode(params)}" if params else "")


# 1. The user filter means the owner of the customer record (seed 001) -------------------------


@pytest.fixture
def customer_and_deal_owners(classic, personas):
    """Deals whose customer and deal owners differ, and one without a customer."""
    rep, manager = personas.rep, personas.manager
    reps_customer = CompanyFactory(name="Rep's customer", owner=rep)
    managers_customer = CompanyFactory(name="Manager's customer", owner=manager)
    classic_deal(classic, name="rep's customer, manager's deal", company=reps_customer, owner=manager)
    classic_deal(classic, name="manager's customer, rep's deal", company=managers_customer, owner=rep)
    classic_deal(classic, name="no customer, rep's deal", owner=rep)
    classic_deal(classic, name="nobody's customer", company=CompanyFactory(owner=None), owner=rep)


def test_the_user_filter_picks_the_deals_of_the_users_customers_by_default(
    classic, personas, admin, customer_and_deal_owners
):
    assert board.BoardQuery(pipeline=classic[0]).owner_of == board.OWNER_OF_CUSTOMER
    assert names(admin, quarter_query(classic, owner=personas.rep)) == {
        "rep's customer, manager's deal",
        "no customer, rep's deal",  # no customer: its own owner's
    }
    assert names(admin, quarter_query(classic, unassigned=True)) == {"nobody's customer"}


def test_the_deal_owner_is_the_second_choice(classic, personas, admin, customer_and_deal_owners):
    query = quarter_query(classic, owner=personas.rep, owner_of=board.OWNER_OF_DEAL)
    assert names(admin, query) == {
        "manager's customer, rep's deal",
        "no customer, rep's deal",
        "nobody's customer",
    }


def test_the_team_filter_follows_the_customers_owner_too(classic, personas, admin):
    south_customer = CompanyFactory(owner=personas.rep_other_team)
    classic_deal(classic, name="south's customer, north's deal", company=south_customer, owner=personas.rep)
    filed_south = CompanyFactory(owner=None, team=personas.south)
    classic_deal(classic, name="customer filed south", company=filed_south, owner=personas.rep)
    classic_deal(classic, name="north's customer", company=CompanyFactory(owner=personas.rep))
    assert names(admin, quarter_query(classic, team=personas.south)) == {
        "south's customer, north's deal",
        "customer filed south",
    }
    query = quarter_query(classic, team=personas.south, owner_of=board.OWNER_OF_DEAL)
    assert names(admin, query) == set()


def test_the_filters_offer_whose_next_to_the_user_and_default_to_the_customer_owner(
    client, classic, personas, manager, customer_and_deal_owners
):
    client.force_login(manager)
    page = client.get(board_url(pipeline=classic[0].pk, period="any", owner=personas.rep.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["board"].query.owner_of == board.OWNER_OF_CUSTOMER
    assert 'name="owner_of"' in html and "Customer owner" in html and "Deal owner" in html
    assert html.index('name="owner"') < html.index('name="owner_of"') < html.index('name="team"')
    assert "rep&#x27;s customer, manager&#x27;s deal" in html
    assert "manager&#x27;s customer, rep&#x27;s deal" not in html
    by_deal = client.get(
        board_url(pipeline=classic[0].pk, period="any", owner=personas.rep.pk, owner_of="deal")
    )
    assert by_deal.context["board"].query.owner_of == board.OWNER_OF_DEAL
    assert "manager&#x27;s customer, rep&#x27;s deal" in by_deal.content.decode()
    assert client.get(board_url(owner_of="anyone")).status_code == 400


@pytest.mark.parametrize("owner_of", [board.OWNER_OF_CUSTOMER, board.OWNER_OF_DEAL])
def test_filtering_by_user_costs_no_extra_query(
    client, classic, personas, manager, owner_of, django_assert_num_queries
):
    for index in range(20):
        classic_deal(classic, owner=personas.rep, company=CompanyFactory(owner=personas.rep), value=index)
    client.force_login(manager)
    url = board_url(
        pipeline=classic[0].pk,
        period="any",
        unprocessed="on",
        won="on",
        owner=personas.rep.pk,
        owner_of=owner_of,
    )
    client.get(url)
    # As test_board's pinned count: the generations (session and user kept), permissions, pipelines, owners, teams, stages,
    # cards, figures, unprocessed companies and their capped count, next steps, first meetings.
    with django_assert_num_queries(11):
        response = client.get(url)
    assert response.context["board"].count == 20


# 2. Export and batch SMS cover every customer in the board's view -----------------------------


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_export_adds_the_unprocessed_customers_after_the_deals(client, classic, personas, manager):
    rep = personas.rep
    busy = CompanyFactory(name="Busy", owner=rep)
    classic_deal(classic, name="Busy's deal", company=busy, owner=rep, value=Decimal("100"))
    CompanyFactory(name="Idle", owner=rep)
    CompanyFactory(name="Idle, other team", owner=personas.rep_other_team)
    client.force_login(manager)
    url = reverse("opportunities:board_export", kwargs={"file_format": "csv"})
    params = {"pipeline": classic[0].pk, "period": "any", "unprocessed": "on", "owner": rep.pk}
    rows = csv_rows(client.get(f"{url}?{urlencode(params)}"))
    header = rows[0]
    assert header[:3] == ["Stage", "Deal", "Company"] and header[-2:] == ["Owner", "Team"]
    assert [row[:3] for row in rows[1:]] == [
        ["Quotation", "Busy's deal", "Busy"],
        ["Unprocessed", "", "Idle"],
    ]
    idle = rows[2]
    assert idle[header.index("Owner")] == str(rep) and idle[header.index("Value")] == ""
    # Without the unprocessed customers on the board, the export has only its deals.
    params.pop("unprocessed")
    assert [row[1] for row in csv_rows(client.get(f"{url}?{urlencode(params)}"))[1:]] == ["Busy's deal"]


def test_the_xlsx_export_holds_the_unprocessed_customers_too(client, classic, manager):
    from openpyxl import load_workbook

    CompanyFactory(name="=Idle", owner=manager)
    client.force_login(manager)
    url = reverse("opportunities:board_export", kwargs={"file_format": "xlsx"})
    response = client.get(f"{url}?{urlencode({'pipeline': classic[0].pk, 'unprocessed': 'on'})}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert ["Unprocessed", None, "=Idle"] in [row[:3] for row in cells]


@pytest.fixture
def unprocessed_people(classic, personas, sms_on):
    """On the Classic board of the rep: one deal with a primary contact, and two customers
    without a deal, one with three contact people and one with none."""
    rep = personas.rep
    contact = PersonFactory(first_name="Deal contact", phone="+46700000001", consent_phone=True, owner=rep)
    classic_deal(classic, owner=rep, company=CompanyFactory(owner=rep), primary_contact=contact)
    idle = CompanyFactory(name="Idle", owner=rep)
    for first_name, phone, consent in [
        ("Agreed", "+46700000002", True),
        ("Refused", "+46700000003", False),
        ("No phone", "", True),
    ]:
        PersonFactory(first_name=first_name, phone=phone, consent_phone=consent, company=idle, owner=rep)
    # a contact of the customer the rep cannot see is not texted, nor counted
    PersonFactory(
        first_name="Hidden", phone="+46700000004", consent_phone=True, company=idle, owner=personas.admin
    )
    CompanyFactory(name="Nobody to text", owner=rep)
    return idle


def test_batch_sms_reaches_the_contact_people_of_unprocessed_customers(
    classic, personas, unprocessed_people, queued_sms, reps_see_only_own
):
    rep = personas.rep
    query = quarter_query(classic, show_unprocessed=True, owner=rep)
    recipients = messaging.board_recipients(user=rep, query=query)
    assert {person.first_name for person in recipients.people} == {"Deal contact", "Agreed"}
    assert (recipients.companies, recipients.companies_without_people) == (2, 1)
    assert (recipients.without_consent, recipients.without_phone, recipients.hidden) == (1, 1, 0)
    assert recipients.skipped == 2
    report = messaging.board_message_send(actor=rep, query=query, body="Hello")
    assert sorted(message.to for message in queued_sms) == ["+46700000001", "+46700000002"]
    assert (report.queued, report.skipped) == (2, 2)
    # Without the unprocessed customers on the board, only the deal's contact.
    without = messaging.board_recipients(user=rep, query=quarter_query(classic, owner=rep))
    assert [person.first_name for person in without.people] == ["Deal contact"]
    assert without.companies == 0 and without.skipped == 0


def test_the_message_page_counts_who_is_skipped_and_the_unprocessed_customers(
    client, classic, personas, unprocessed_people, reps_see_only_own
):
    client.force_login(personas.rep)
    url = board_url(
        "opportunities:board_message",
        pipeline=classic[0].pk,
        period="any",
        unprocessed="on",
        owner=personas.rep.pk,
    )
    html = client.get(url).content.decode()
    assert "2 people will receive it" in html
    assert "2 people skipped" in html
    assert 'data-testid="unprocessed-recipients"' in html and "Unprocessed customers: 2" in html


def test_a_new_pipeline_has_batch_sms_off(db):
    assert Pipeline.objects.create(name="New process").sms_enabled is False
    assert not Pipeline.objects.filter(sms_enabled=True).exists()  # the seeded ones too


def test_without_sms_enabled_the_board_hides_the_button_and_the_message_view_refuses(
    client, classic, personas, manager, queued_sms
):
    contact = PersonFactory(phone="+46700000001", consent_phone=True, owner=manager)
    classic_deal(classic, owner=manager, primary_contact=contact)
    client.force_login(manager)
    page = client.get(board_url(pipeline=classic[0].pk)).content.decode()
    assert 'data-testid="board-message-link"' not in page
    url = board_url("opportunities:board_message", pipeline=classic[0].pk)
    refused = client.get(url)
    assert refused.status_code == 403
    assert "Text messages are not enabled for this pipeline" in refused.content.decode()
    assert client.post(url, {"body": "Hello"}).status_code == 403
    with pytest.raises(PermissionDenied):
        messaging.board_message_send(actor=manager, query=quarter_query(classic), body="Hello")
    assert queued_sms == []


def test_with_sms_enabled_the_board_offers_the_message(client, classic, manager, sms_on):
    client.force_login(manager)
    page = client.get(board_url(pipeline=classic[0].pk)).content.decode()
    assert 'data-testid="board-message-link"' in page
    assert client.get(board_url("opportunities:board_message", pipeline=classic[0].pk)).status_code == 200


# 4. Fixed labels (seed 001, "Definition") ----------------------------------------------------


@pytest.fixture
def labelled(classic):
    pipeline = classic[0]
    pipeline.deal_names = "Annual licence\n  Service contract  \n\nAnnual licence\n"
    pipeline.probabilities = "10\n50 %\n90\n"
    pipeline.save()
    return pipeline


def deal_data(deal, **changes):
    return {"name": deal.name, "currency": "EUR", "version": deal.version, **changes}


def test_a_pipeline_lists_its_fixed_labels_one_a_line(labelled):
    assert labelled.fixed_deal_names == ["Annual licence", "Service contract"]
    assert labelled.fixed_probabilities == [10, 50, 90]
    assert Pipeline(name="Free").fixed_deal_names == [] and Pipeline(name="Free").fixed_probabilities == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("probabilities", "10\nhigh"), ("probabilities", "150"), ("deal_names", "x" * 201)],
)
def test_a_pipeline_refuses_fixed_labels_that_cannot_be_used(classic, field, value):
    pipeline = classic[0]
    setattr(pipeline, field, value)
    with pytest.raises(ValidationError) as error:
        pipeline.clean()
    assert field in error.value.message_dict


def test_the_deal_form_offers_dropdowns_of_the_pipelines_labels(classic, labelled, admin):
    deal = classic_deal(classic, name="Annual licence", probability=50, owner=admin)
    form = DealForm(instance=deal, user=admin)
    assert [value for value, _label in form.fields["name"].choices] == [
        "",
        "Annual licence",
        "Service contract",
    ]
    assert [value for value, _label in form.fields["probability"].choices] == ["", 10, 50, 90]
    html = form.as_p()
    assert '<select name="name"' in html and '<select name="probability"' in html


def test_the_deal_form_refuses_a_name_or_probability_outside_the_lists(classic, labelled, admin):
    deal = classic_deal(classic, name="Annual licence", owner=admin)
    form = DealForm(deal_data(deal, name="Something else", probability="33"), instance=deal, user=admin)
    assert not form.is_valid()
    assert "Choose one of the deal names of the pipeline Classic." in form.errors["name"]
    assert "Choose one of the probabilities of the pipeline Classic." in form.errors["probability"]
    form = DealForm(deal_data(deal, name="Service contract", probability="90"), instance=deal, user=admin)
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["name"], form.cleaned_data["probability"]) == ("Service contract", 90)
    form = DealForm(deal_data(deal, probability=""), instance=deal, user=admin)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["probability"] is None  # the stage's default


def test_a_deal_named_before_the_list_keeps_its_name_until_changed(classic, labelled, admin):
    deal = classic_deal(classic, name="Old free text", probability=33, owner=admin)
    form = DealForm(deal_data(deal, probability="33"), instance=deal, user=admin)
    assert form.is_valid(), form.errors
    other = classic_deal(classic, name="Annual licence", owner=admin)
    form = DealForm(deal_data(other, name="Old free text"), instance=other, user=admin)
    assert not form.is_valid() and "name" in form.errors


def test_a_pipeline_without_lists_keeps_free_text(classic, admin):
    deal = classic_deal(classic, name="Anything", owner=admin)
    form = DealForm(deal_data(deal, name="Whatever I like", probability="33"), instance=deal, user=admin)
    assert form.is_valid(), form.errors
    assert '<input type="text" name="name"' in form.as_p()


def test_a_new_deal_takes_its_labels_from_the_chosen_pipeline(client, classic, labelled, admin):
    data = {"pipeline": labelled.pk, "name": "Free text", "currency": "EUR", "probability": "50"}
    form = NewDealForm(data, user=admin)
    assert not form.is_valid() and "Choose one of the deal names" in str(form.errors["name"])
    form = NewDealForm({**data, "name": "Service contract"}, user=admin)
    assert form.is_valid(), form.errors
    standard = Pipeline.objects.get(name="Standard")
    assert NewDealForm({**data, "pipeline": standard.pk}, user=admin).is_valid()
    client.force_login(admin)
    page = client.get(reverse("opportunities:deal_create") + f"?pipeline={labelled.pk}").content.decode()
    assert '<select name="name"' in page and "Service contract" in page
    response = client.post(reverse("opportunities:deal_create"), {**data, "owner": admin.pk})
    assert response.status_code == 200  # the form again, with its errors
    assert "Choose one of the deal names" in response.content.decode()
    assert not Deal.objects.filter(name="Free text").exists()


def test_the_pipeline_admin_edits_sms_and_the_fixed_labels(client, classic, admin):
    client.force_login(admin)
    page = client.get(reverse("admin:opportunities_pipeline_change", args=[classic[0].pk])).content.decode()
    for name in ["sms_enabled", "deal_names", "probabilities"]:
        assert f'name="{name}"' in page


# 5. The seeded quote and order templates use the one money format ----------------------------


def test_the_seeded_document_templates_format_money_with_the_money_filter(db):
    for kind in [DocumentTemplate.Kind.QUOTE, DocumentTemplate.Kind.ORDER_CONFIRMATION]:
        body = DocumentTemplate.objects.get(kind=kind, is_default=True).body
        assert body.startswith("{% load crm_tags %}")
        assert "floatformat:2" not in body and "|money:document.currency" in body


def test_the_money_format_reads_the_same_in_a_rendered_document(db):
    from django.template import engines

    body = DocumentTemplate.objects.get(kind=DocumentTemplate.Kind.QUOTE, is_default=True).body
    line = {"label": "Scanning", "quantity": Decimal("2"), "unit_price": Decimal("1234.5"), "discount": 0,
            "total": Decimal("2469.00")}  # fmt: skip
    document = {"number": "Q-1", "version": 1, "currency": "EUR", "total": Decimal("2469.00"),
                "created_at": datetime.datetime(2026, 5, 1)}  # fmt: skip
    html = engines["django"].from_string(body).render({"document": document, "lines": [line]})
    assert "1,234.50 EUR" in html and "2,469 EUR" in html and "2469.00" not in html


def test_the_migration_leaves_an_edited_template_alone(db):
    migration = importlib.import_module("opportunities.migrations.0008_pipeline_sms_and_fixed_labels")
    edited = DocumentTemplate.objects.create(
        kind=DocumentTemplate.Kind.QUOTE, name="Ours", body="{{ document.total|floatformat:2 }} ours"
    )
    shipped = DocumentTemplate.objects.get(kind=DocumentTemplate.Kind.QUOTE, is_default=True)
    migration.use_floatformat(django_apps, None)
    shipped.refresh_from_db()
    assert "floatformat:2" in shipped.body and "crm_tags" not in shipped.body  # reversible
    migration.use_money_format(django_apps, None)
    shipped.refresh_from_db()
    edited.refresh_from_db()
    assert "|money:document.currency" in shipped.body
    assert edited.body == "{{ document.total|floatformat:2 }} ours"


def test_the_board_filter_form_reads_whose_without_a_value_as_the_customer_owner(classic, admin):
    form = BoardFilterForm({"pipeline": classic[0].pk}, user=admin)
    assert form.is_valid(), form.errors
    assert form.board_query().owner_of == board.OWNER_OF_CUSTOMER
