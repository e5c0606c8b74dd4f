"""The deal card's sales panels: a quote's status changed in place (quote_set_status), and deal
lines edited in place (the row swapped for its form and back)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from playwright.sync_api import expect

from crm.exceptions import StaleRecordError
from crm.models import AuditEvent
from opportunities.models import Deal, DealLine, Quote
from opportunities.sales import services as sales
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
S = Quote.Status


@pytest.fixture(autouse=True)
def _media(media_root):
    return media_root


@pytest.fixture
def deal(rep):
    return DealFactory(name="Archive scan", owner=rep, value=Decimal(20))


@pytest.fixture
def line(deal, rep):
    return sales.deal_line_add(
        actor=rep,
        deal=deal,
        values={"description": "Scanning", "quantity": Decimal(2), "unit_price": Decimal(10)},
    )


@pytest.fixture
def quote(deal, line, rep):
    return sales.quote_create(actor=rep, deal=deal)


def with_status(quote: Quote, status: str) -> Quote:
    Quote.objects.filter(pk=quote.pk).update(status=status)
    quote.refresh_from_db()
    return quote


def status_url(quote: Quote) -> str:
    return reverse("opportunities:quote_set_status", args=[quote.pk])


def line_url(line: DealLine) -> str:
    return reverse("opportunities:deal_line_update", args=[line.deal_id, line.pk])


# -- Quote status: the service -------------------------------------------------------------------

ALLOWED = {
    (S.DRAFT, S.SENT),
    (S.SENT, S.ACCEPTED),
    (S.SENT, S.REJECTED),
    (S.ACCEPTED, S.SENT),
    (S.REJECTED, S.SENT),
}


@pytest.mark.parametrize("new", S.values)
@pytest.mark.parametrize("old", S.values)
def test_a_quote_moves_only_along_its_transitions(quote, rep, old, new):
    quote = with_status(quote, old)
    if (old, new) in ALLOWED:
        sales.quote_set_status(actor=rep, quote=quote, status=new)
        assert Quote.objects.get(pk=quote.pk).status == new
        event = AuditEvent.objects.get(verb="change quote status")
        assert (event.object_id, event.changes) == (
            str(quote.deal_id),
            {"quote": quote.number, "from": old, "to": new},
        )
    else:
        with pytest.raises(ValidationError, match="cannot be marked"):
            sales.quote_set_status(actor=rep, quote=quote, status=new)
        assert Quote.objects.get(pk=quote.pk).status == old
        assert not AuditEvent.objects.filter(verb="change quote status").exists()


def test_an_unknown_status_is_refused(quote, rep):
    with pytest.raises(ValidationError, match="not a status of a quote"):
        sales.quote_set_status(actor=rep, quote=quote, status="paid")
    assert Quote.objects.get(pk=quote.pk).status == S.DRAFT


def test_a_deal_has_at_most_one_accepted_quote(deal, quote, rep):
    first = with_status(quote, S.SENT)
    second = with_status(sales.quote_create(actor=rep, deal=deal), S.SENT)
    sales.quote_set_status(actor=rep, quote=first, status=S.ACCEPTED)
    with pytest.raises(ValidationError, match=f"{first.number} is already accepted"):
        sales.quote_set_status(actor=rep, quote=second, status=S.ACCEPTED)
    assert Quote.objects.get(pk=second.pk).status == S.SENT
    # Reopening the accepted one lets the customer accept the other version.
    sales.quote_set_status(actor=rep, quote=first, status=S.SENT)
    sales.quote_set_status(actor=rep, quote=second, status=S.ACCEPTED)
    assert Quote.objects.get(pk=second.pk).status == S.ACCEPTED


def test_another_deals_accepted_quote_does_not_count(quote, rep):
    other = DealFactory(owner=rep)
    sales.deal_line_add(
        actor=rep, deal=other, values={"description": "Boxes", "quantity": 1, "unit_price": Decimal(5)}
    )
    with_status(sales.quote_create(actor=rep, deal=other), S.ACCEPTED)
    sales.quote_set_status(actor=rep, quote=with_status(quote, S.SENT), status=S.ACCEPTED)
    assert Quote.objects.get(pk=quote.pk).status == S.ACCEPTED


def test_a_status_changed_meanwhile_is_not_overwritten(quote, rep):
    seen = Quote.objects.get(pk=quote.pk)  # draft, as the user saw it
    with_status(quote, S.SENT)  # a colleague sent it meanwhile
    with pytest.raises(StaleRecordError):
        sales.quote_set_status(actor=rep, quote=seen, status=S.SENT, expected_status=S.DRAFT)
    assert not AuditEvent.objects.filter(verb="change quote status").exists()


# -- Quote status: the deal card -----------------------------------------------------------------


def test_the_card_offers_the_quotes_next_statuses_to_who_may_edit(client, quote, rep):
    with_status(quote, S.SENT)
    client.force_login(rep)
    page = client.get(quote.deal.get_absolute_url()).content.decode()
    form = page.split(f'data-testid="quote-status-{quote.pk}"', 1)[1].split("</form>", 1)[0]
    assert 'value="accepted"' in form and 'value="rejected"' in form
    assert 'value="sent"' not in form.replace('name="expected_status" value="sent"', "")


def test_the_card_offers_no_status_buttons_on_a_read_only_deal(client, quote, rep_other_team):
    client.force_login(rep_other_team)
    page = client.get(quote.deal.get_absolute_url()).content.decode()
    assert f'data-testid="quote-status-{quote.pk}"' not in page
    assert status_url(quote) not in page


def test_marking_a_quote_sent_with_htmx_answers_the_quotes_panel(client, quote, rep):
    client.force_login(rep)
    response = client.post(status_url(quote), {"status": "sent", "expected_status": "draft"}, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="deal-quotes"' in body
    assert "<html" not in body
    assert f"Quote {quote.number} is now sent." in body
    assert Quote.objects.get(pk=quote.pk).status == S.SENT


def test_a_refused_transition_is_shown_in_the_panel_and_saves_nothing(client, quote, rep):
    client.force_login(rep)
    response = client.post(
        status_url(quote), {"status": "accepted", "expected_status": "draft"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "A quote that is draft cannot be marked accepted." in response.content.decode()
    assert Quote.objects.get(pk=quote.pk).status == S.DRAFT


def test_an_unknown_status_posted_gives_a_clear_message(client, quote, rep):
    client.force_login(rep)
    response = client.post(status_url(quote), {"status": "paid"}, headers=HTMX)
    assert response.status_code == 422
    assert "“paid” is not a status of a quote." in response.content.decode()
    assert Quote.objects.get(pk=quote.pk).status == S.DRAFT


def test_a_stale_status_answers_409(client, quote, rep):
    with_status(quote, S.SENT)
    client.force_login(rep)
    response = client.post(status_url(quote), {"status": "sent", "expected_status": "draft"}, headers=HTMX)
    assert response.status_code == 409
    assert "Someone else changed this quote meanwhile" in response.content.decode()


def test_without_javascript_a_status_change_goes_back_to_the_card(client, quote, rep):
    client.force_login(rep)
    response = client.post(status_url(quote), {"status": "sent", "expected_status": "draft"})
    assert response.status_code == 302
    assert response.url == quote.deal.get_absolute_url()
    assert Quote.objects.get(pk=quote.pk).status == S.SENT


def test_a_read_only_deals_quote_status_is_refused(client, quote, rep_other_team):
    client.force_login(rep_other_team)
    assert client.post(status_url(quote), {"status": "sent"}).status_code == 403
    assert Quote.objects.get(pk=quote.pk).status == S.DRAFT


def test_a_hidden_deals_quote_answers_404(client, quote, rep_other_team, reps_see_only_own):
    client.force_login(rep_other_team)
    assert client.post(status_url(quote), {"status": "sent"}).status_code == 404
    assert Quote.objects.get(pk=quote.pk).status == S.DRAFT


def test_the_status_route_refuses_get(client, quote, rep):
    client.force_login(rep)
    assert client.get(status_url(quote)).status_code == 405


# -- Deal lines edited in place ------------------------------------------------------------------


def test_the_card_offers_to_change_each_line_in_place(client, line, rep):
    client.force_login(rep)
    page = client.get(line.deal.get_absolute_url()).content.decode()
    row = page.split(f'id="deal-line-{line.pk}"', 1)[1].split("</tr>", 1)[0]
    assert f'hx-get="{line_url(line)}"' in row and f'href="{line_url(line)}"' in row


def test_a_read_only_deals_lines_offer_no_change(client, line, rep_other_team):
    client.force_login(rep_other_team)
    assert line_url(line) not in client.get(line.deal.get_absolute_url()).content.decode()


def test_htmx_gets_the_lines_row_as_a_filled_form(client, line, rep):
    client.force_login(rep)
    response = client.get(line_url(line), headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="deal-line-{line.pk}"')
    assert f'form="deal-line-{line.pk}-form"' in body
    assert 'name="description" value="Scanning"' in body.replace(f' form="deal-line-{line.pk}-form"', "")


def test_without_javascript_the_line_form_is_a_page(client, line, rep):
    client.force_login(rep)
    body = client.get(line_url(line)).content.decode()
    assert "<html" in body and f'id="deal-line-{line.pk}-form"' in body


def test_saving_a_line_with_htmx_answers_the_panel_with_the_new_total(client, line, rep):
    client.force_login(rep)
    data = {"description": "Scanning", "quantity": "3", "unit_price": "10", "update_deal_value": "on"}
    response = client.post(line_url(line), data, headers=HTMX)
    assert response.status_code == 200
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#deal-lines", "outerHTML")
    total = response.content.decode().split('data-testid="lines-total">', 1)[1].split("<", 1)[0]
    assert total.split()[0] in ("30", "30.00")
    assert DealLine.objects.get(pk=line.pk).quantity == Decimal(3)
    assert Deal.objects.get(pk=line.deal_id).value == Decimal("30.00")


def test_an_invalid_line_comes_back_as_its_form_with_errors_and_nothing_saved(client, line, rep):
    client.force_login(rep)
    data = {"description": "Scanning", "quantity": "0", "unit_price": "10", "update_deal_value": "on"}
    response = client.post(line_url(line), data, headers=HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="deal-line-{line.pk}"')
    assert "The quantity must be more than zero." in body
    assert DealLine.objects.get(pk=line.pk).quantity == Decimal(2)
    assert Deal.objects.get(pk=line.deal_id).value == Decimal(20)


def test_a_refusal_by_the_service_comes_back_as_the_form(client, line, rep, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError("The deal is locked for invoicing.")

    monkeypatch.setattr(sales, "deal_line_update", refuse)
    client.force_login(rep)
    data = {"description": "Scanning", "quantity": "3", "unit_price": "10"}
    response = client.post(line_url(line), data, headers=HTMX)
    assert response.status_code == 422
    assert "The deal is locked for invoicing." in response.content.decode()


def test_without_javascript_a_saved_line_goes_back_to_the_card(client, line, rep):
    client.force_login(rep)
    response = client.post(line_url(line), {"description": "Scanning", "quantity": "5", "unit_price": "10"})
    assert response.status_code == 302 and response.url == line.deal.get_absolute_url()
    assert DealLine.objects.get(pk=line.pk).quantity == Decimal(5)


def test_without_javascript_an_invalid_line_shows_the_page_with_errors(client, line, rep):
    client.force_login(rep)
    response = client.post(line_url(line), {"description": "", "quantity": "1", "unit_price": "10"})
    assert response.status_code == 422
    assert "Choose a product or describe the line." in response.content.decode()
    assert DealLine.objects.get(pk=line.pk).description == "Scanning"


@pytest.mark.parametrize(("persona", "status"), [("rep_other_team", 403), ("restricted", 404)])
def test_who_may_not_edit_the_deal_gets_no_line_form(client, personas, line, persona, status):
    client.force_login(getattr(personas, persona))
    assert client.get(line_url(line), headers=HTMX).status_code == status


def test_a_line_of_another_deal_answers_404(client, line, rep):
    other = DealFactory(owner=rep)
    client.force_login(rep)
    url = reverse("opportunities:deal_line_update", args=[other.pk, line.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"description": "X", "quantity": "1", "unit_price": "1"}).status_code == 404


# -- In the browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_line_is_changed_in_place_in_the_browser(page, log_in, line, rep):
    log_in(rep.username)
    page.goto(line.deal.get_absolute_url())
    row = page.locator(f"#deal-line-{line.pk}")
    row.get_by_role("link", name="Change").click()
    expect(row.get_by_label("Quantity")).to_have_value("2.00")
    # Cancel brings the row back as it was.
    row.get_by_role("link", name="Cancel").click()
    expect(row.get_by_role("link", name="Change")).to_be_visible()
    row.get_by_role("link", name="Change").click()
    # A rule the browser does not check itself: the server's answer replaces the row's form.
    row.get_by_label("Description").fill("")
    row.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("Choose a product or describe the line.")
    row.get_by_label("Description").fill("Scanning")
    row.get_by_label("Quantity").fill("4")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("lines-total")).to_contain_text("40")
    expect(row.get_by_role("link", name="Change")).to_be_visible()
    assert DealLine.objects.get(pk=line.pk).quantity == Decimal(4)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_quote_is_marked_sent_then_accepted_in_the_browser(page, log_in, quote, rep):
    log_in(rep.username)
    page.goto(quote.deal.get_absolute_url())
    panel = page.get_by_test_id("deal-quotes")
    panel.get_by_role("button", name="Mark sent").click()
    expect(panel).to_contain_text(f"Quote {quote.number} is now sent.")
    panel.get_by_role("button", name="Mark accepted").click()
    expect(panel).to_contain_text(f"Quote {quote.number} is now accepted.")
    expect(panel.get_by_role("button", name="Reopen as sent")).to_be_visible()
    assert Quote.objects.get(pk=quote.pk).status == S.ACCEPTED
