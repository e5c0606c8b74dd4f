"""The portal's pages for a signed-in customer: their company's tickets (colleagues' included),
a ticket with its public conversation only, replying, filing a new ticket, and the answers."""

import pytest
from django.test import Client
from django.urls import reverse

from support import services
from support.knowledge import services as knowledge
from support.knowledge.models import Article, Category
from support.models import Ticket, TicketMessage
from support.portal.forms import MAX_MESSAGE_LENGTH
from tests.support.portal.conftest import sign_in, ticket_for

pytestmark = pytest.mark.django_db


def test_the_list_shows_the_companys_tickets_and_no_other_companys(signed_in, ours, theirs):
    own = ticket_for(ours, "Own scanner")
    colleagues = services.ticket_create(
        actor=None, values={"subject": "Colleague printer", "contact": ours.colleague}
    )
    other = ticket_for(theirs, "Their secret router")
    html = signed_in.get(reverse("portal:ticket_list")).content.decode()
    assert own.subject in html and colleagues.subject in html
    assert other.subject not in html and reverse("portal:ticket_detail", args=[other.pk]) not in html


def test_closed_tickets_show_under_all(signed_in, ours, admin):
    ticket = ticket_for(ours, "Finished business")
    services.ticket_set_status(actor=admin, ticket=ticket, status=Ticket.Status.CLOSED)
    assert "Finished business" not in signed_in.get(reverse("portal:ticket_list")).content.decode()
    assert "Finished business" in signed_in.get(reverse("portal:ticket_list") + "?show=all").content.decode()


def test_a_ticket_shows_its_description_and_public_messages_never_internal_notes(signed_in, ours, admin):
    ticket = ticket_for(ours, "Jams", "It jams on A3 paper.")
    services.ticket_note(actor=admin, ticket=ticket, body="Internal: customer is on the cheap plan")
    services.ticket_reply(actor=admin, ticket=ticket, body="Please try the other tray.")
    services.ticket_customer_message(ticket=ticket, body="Tried it, same.", person=ours.person)
    html = signed_in.get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()
    assert "It jams on A3 paper." in html
    assert "Please try the other tray." in html and "Tried it, same." in html
    assert "cheap plan" not in html
    # No staff-only fields: the agent's name beyond the first, the queue, the SLA.
    assert admin.last_name not in html
    assert ticket.queue is None or str(ticket.queue) not in html
    assert ticket.reply_key not in html


def test_a_reply_is_a_customer_message_from_the_portal_and_opens_a_waiting_ticket(signed_in, ours, admin):
    ticket = ticket_for(ours)
    services.ticket_reply(actor=admin, ticket=ticket, body="Which model?", status=Ticket.Status.WAITING)
    response = signed_in.post(reverse("portal:ticket_reply", args=[ticket.pk]), {"body": "The X200."})
    assert response.status_code == 302
    message = TicketMessage.objects.get(kind=TicketMessage.Kind.CUSTOMER)
    assert (message.body, message.channel, message.author_person) == ("The X200.", "portal", ours.person)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


@pytest.mark.parametrize("body", ["", "   ", "x" * (MAX_MESSAGE_LENGTH + 1), "nul\x00byte"])
def test_a_bad_reply_is_refused_in_place_and_nothing_is_saved(signed_in, ours, body):
    ticket = ticket_for(ours)
    response = signed_in.post(reverse("portal:ticket_reply", args=[ticket.pk]), {"body": body})
    assert response.status_code == 400
    assert not TicketMessage.objects.exists()


def test_a_new_ticket_is_filed_for_the_contact_and_company_by_the_portal(signed_in, ours):
    response = signed_in.post(
        reverse("portal:ticket_create"),
        {
            "subject": "Need a new licence",
            "description": "For our second office.",
            "owner": 1,
            "priority": "urgent",
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("portal:ticket_detail", args=[ticket.pk])
    assert (ticket.contact, ticket.company, ticket.channel) == (ours.person, ours.company, "portal")
    # Fields the form does not have are not taken from the post (mass assignment).
    assert ticket.priority == "normal" and ticket.owner_id is None


@pytest.mark.parametrize(
    "data",
    [
        {"subject": "", "description": "x"},
        {"subject": "   ", "description": "x"},
        {"subject": "x" * 251, "description": "x"},
        {"subject": "Ok", "description": ""},
        {"subject": "<svg onload=alert(1)>\x00", "description": "x"},
    ],
)
def test_a_bad_new_ticket_is_refused_and_nothing_is_saved(signed_in, data):
    assert signed_in.post(reverse("portal:ticket_create"), data).status_code == 400
    assert not Ticket.objects.exists()


def test_html_in_a_ticket_is_shown_as_text(signed_in, ours):
    ticket = ticket_for(ours, "<script>alert(1)</script>", "<img src=x onerror=alert(2)>")
    html = signed_in.get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_portal_forms_need_the_csrf_token(ours):
    client = Client(enforce_csrf_checks=True)
    ticket = ticket_for(ours)
    sign_in_page = client.get(reverse("portal:sign_in"))
    assert "csrfmiddlewaretoken" in sign_in_page.content.decode()
    assert client.post(reverse("portal:sign_in"), {"email": ours.person.email}).status_code == 403
    # Signed in by a client that passes the token, then posting without it:
    helper = Client()
    sign_in(helper, ours.person.email)
    client.cookies.update(helper.cookies)
    for url, data in [
        (reverse("portal:ticket_create"), {"subject": "Forged", "description": "Forged"}),
        (reverse("portal:ticket_reply", args=[ticket.pk]), {"body": "Forged"}),
        (reverse("portal:sign_out"), {}),
    ]:
        assert client.post(url, data).status_code == 403
    assert not TicketMessage.objects.exists() and Ticket.objects.count() == 1


@pytest.fixture
def articles(admin):
    shelf = Category.objects.create(name="Printers")

    def article(title, body, status, audience):
        return knowledge.article_create(
            actor=admin,
            values={"title": title, "body": body, "category": shelf, "status": status, "audience": audience},
        )

    return {
        "public": article("Paper jams", "Open the tray and pull the paper out.", "published", "public"),
        "internal": article(
            "Paper jam escalation", "Internal: call the paper vendor.", "published", "internal"
        ),
        "draft": article("Paper jam draft", "Not ready for paper jam readers.", "draft", "public"),
    }


def test_the_answers_search_finds_published_public_articles_only(client, articles):
    html = client.get(reverse("portal:article_list"), {"q": "paper jam"}).content.decode()
    assert "Paper jams" in html
    assert "Paper jam escalation" not in html and "Paper jam draft" not in html
    listing = client.get(reverse("portal:article_list")).content.decode()
    assert "Paper jams" in listing and "escalation" not in listing and "draft" not in listing.lower()


def test_an_article_opens_when_public_and_published_else_404(client, articles):
    assert client.get(reverse("portal:article_detail", args=[articles["public"].pk])).status_code == 200
    for key in ("internal", "draft"):
        assert client.get(reverse("portal:article_detail", args=[articles[key].pk])).status_code == 404
    assert Article.objects.count() == 3


def test_pages_carry_no_staff_navigation(signed_in, ours):
    html = signed_in.get(reverse("portal:ticket_list")).content.decode()
    assert reverse("contacts:company_list") not in html and reverse("dashboard") not in html
    assert 'data-testid="portal-nav"' in html


def test_the_reply_form_posts_to_the_reply_url(signed_in, ours):
    ticket = ticket_for(ours)
    html = signed_in.get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()
    assert f'action="{reverse("portal:ticket_reply", args=[ticket.pk])}"' in html
