"""E-mail in (support.inbound): new tickets and replies, forged tags, threads, loops and repeats,
HTML mail, the management command and the mail gateway's endpoint."""

import io
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import inbound, services
from support.models import Queue, Ticket, TicketMessage
from support.portal.models import InboundMail
from tests.factories import PersonFactory
from tests.support.portal.conftest import ticket_for

pytestmark = pytest.mark.django_db


def mail(
    *,
    sender="olga@ours.example",
    to="support@crm.example",
    subject="Printer broken",
    body="It does not print.",
    html=None,
    message_id="<m1@mail.example>",
    **headers,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Olga Ours <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if body is not None:
        message.set_content(body)
        if html:
            message.add_alternative(html, subtype="html")
    else:
        message.set_content(html, subtype="html")
    return message.as_bytes()


def test_a_mail_from_a_contact_becomes_a_ticket_of_their_company(ours):
    result = inbound.receive(mail())
    assert result.outcome == "created"
    ticket = result.ticket
    assert (ticket.subject, ticket.description, ticket.channel) == (
        "Printer broken",
        "It does not print.",
        "email",
    )
    assert (ticket.contact, ticket.company, ticket.requester_email) == (
        ours.person,
        ours.company,
        "olga@ours.example",
    )


def test_a_mail_from_an_unknown_or_ambiguous_address_keeps_the_address_only(ours, theirs):
    PersonFactory(email="shared@example.org")
    PersonFactory(email="SHARED@example.org")
    for address in ("stranger@example.org", "shared@example.org"):
        ticket = inbound.receive(mail(sender=address, message_id=f"<{address}>")).ticket
        assert ticket.contact is None and ticket.company is None and ticket.requester_email == address


def test_the_queue_is_the_one_the_mail_was_sent_to_else_the_default(ours):
    billing = Queue.objects.create(name="Billing", email_address="billing@crm.example")
    assert inbound.receive(mail(to="Billing <BILLING@crm.example>")).ticket.queue == billing
    other = inbound.receive(mail(to="nobody@crm.example", message_id="<m2@mail.example>")).ticket
    assert other.queue == services.default_queue()


def test_a_reply_with_the_tickets_tag_and_key_is_a_customer_message(ours, admin):
    ticket = ticket_for(ours)
    services.ticket_reply(actor=admin, ticket=ticket, body="Which model?", status=Ticket.Status.WAITING)
    result = inbound.receive(
        mail(subject=f"Re: {services.subject_tag(ticket)} Scanner jams", body="The X200.")
    )
    assert result.outcome == "attached" and result.ticket == ticket
    message = result.message
    assert (message.kind, message.body, message.channel, message.author_person) == (
        "customer", "The X200.", "email", ours.person,
    )  # fmt: skip
    assert message.message_id == "<m1@mail.example>"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and Ticket.objects.count() == 1


@pytest.mark.parametrize("forge", ["wrong-key", "number-only", "other-ticket-key"])
def test_a_forged_tag_attaches_nothing_and_becomes_a_new_ticket(ours, theirs, forge):
    target = ticket_for(theirs, "Their ticket")
    mine = ticket_for(ours, "My ticket")
    tag = {
        "wrong-key": f"[#{target.pk}-AAAAAAAAAAAA]",
        "number-only": f"[#{target.pk}]",
        "other-ticket-key": f"[#{target.pk}-{mine.reply_key}]",
    }[forge]
    result = inbound.receive(mail(subject=f"Re: {tag} hello", body="Injected"))
    assert result.outcome == "created" and result.ticket not in (target, mine)
    assert not TicketMessage.objects.filter(ticket__in=[target, mine]).exists()


def test_a_reply_found_by_in_reply_to_attaches_to_the_thread(ours, admin):
    ticket = ticket_for(ours)
    reply = services.ticket_reply(actor=admin, ticket=ticket, body="Try again")
    reply.refresh_from_db()
    assert reply.message_id
    result = inbound.receive(mail(subject="Re: no tag here", In_Reply_To=reply.message_id, body="Did."))
    assert result.outcome == "attached" and result.ticket == ticket
    forged = inbound.receive(
        mail(subject="Re: x", In_Reply_To="<guess@crm.example>", message_id="<m3@mail.example>")
    )
    assert forged.outcome == "created"


def test_a_reply_to_a_merged_ticket_goes_to_the_ticket_it_was_merged_into(ours):
    kept, merged = ticket_for(ours, "Kept"), ticket_for(ours, "Merged")
    Ticket.objects.filter(pk=merged.pk).update(merged_into=kept)
    result = inbound.receive(mail(subject=f"Re: {services.subject_tag(merged)}"))
    assert result.ticket == kept


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Auto_Submitted": "auto-generated"},
        {"X_Autoreply": "yes"},
        {"X_Autorespond": "Out of office"},
        {"X_Auto_Response_Suppress": "All"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "auto_reply"},
        {"Return_Path": "<>"},
    ],
)
def test_auto_replies_and_bulk_mail_are_ignored(ours, admin, headers):
    ticket = ticket_for(ours)
    result = inbound.receive(mail(subject=f"Out of office: {services.subject_tag(ticket)}", **headers))
    assert result.outcome == "ignored"
    assert Ticket.objects.count() == 1 and not TicketMessage.objects.exists()


def test_auto_submitted_no_is_a_person_writing(ours):
    assert inbound.receive(mail(Auto_Submitted="no")).outcome == "created"


def test_mail_from_our_own_sender_or_a_queue_address_is_ignored(ours, settings):
    settings.DEFAULT_FROM_EMAIL = "CRM <crm@crm.example>"
    Queue.objects.create(name="Billing", email_address="billing@crm.example")
    assert inbound.receive(mail(sender="crm@crm.example")).reason == "our own mail"
    assert inbound.receive(mail(sender="billing@crm.example", message_id="<m2@x>")).reason == "our own mail"
    assert not Ticket.objects.exists()


def test_the_same_mail_twice_makes_one_ticket_or_one_message(ours):
    raw = mail()
    assert inbound.receive(raw).outcome == "created"
    assert inbound.receive(raw).outcome == "duplicate"
    assert Ticket.objects.count() == 1
    ticket = Ticket.objects.get()
    reply = mail(subject=f"Re: {services.subject_tag(ticket)}", message_id="<m2@mail.example>")
    assert [inbound.receive(reply).outcome for _ in range(2)] == ["attached", "duplicate"]
    assert TicketMessage.objects.count() == 1
    no_id = mail(message_id=None, subject="No id")
    assert [inbound.receive(no_id).outcome for _ in range(2)] == ["created", "duplicate"]


def test_an_html_only_mail_keeps_its_text_and_only_sanitised_html(ours):
    ticket = ticket_for(ours)
    html = (
        "<p>Hello <b>there</b>&amp; welcome</p><script>alert(1)</script>"
        '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">link</a><br>Line two'
    )
    result = inbound.receive(mail(subject=f"Re: {services.subject_tag(ticket)}", body=None, html=html))
    message = result.message
    assert "Hello there& welcome" in message.body and "Line two" in message.body
    assert "alert" not in message.body
    assert "<b>there</b>" in message.body_html
    for bad in ("<script", "onerror", "javascript:"):
        assert bad not in message.body_html


def test_a_mail_with_text_and_html_keeps_the_text_part(ours):
    ticket = inbound.receive(mail(body="Plain words", html="<p>Rich <i>words</i></p>")).ticket
    assert ticket.description == "Plain words"


def test_a_mail_without_a_valid_sender_is_ignored(db):
    assert inbound.receive(mail(sender="not an address")).outcome == "ignored"
    assert inbound.receive(b"").outcome == "ignored"
    assert not Ticket.objects.exists()


def test_the_management_command_reads_a_file_or_standard_input(ours, tmp_path, monkeypatch):
    path = tmp_path / "message.eml"
    path.write_bytes(mail())
    out = io.StringIO()
    call_command("support_mail_in", str(path), stdout=out)
    assert out.getvalue().startswith("created #")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(mail())))
    out = io.StringIO()
    call_command("support_mail_in", stdout=out)
    assert out.getvalue().startswith("duplicate")
    assert InboundMail.objects.count() == 1


def test_the_endpoint_needs_the_shared_secret_and_does_not_exist_without_one(client, ours, settings):
    url = reverse("portal:mail_in")
    settings.CRM_INBOUND_MAIL_SECRET = ""
    assert client.post(url, mail(), content_type="message/rfc822").status_code == 404
    settings.CRM_INBOUND_MAIL_SECRET = "s3cret-value"
    assert client.get(url, HTTP_AUTHORIZATION="Bearer s3cret-value").status_code == 405
    for header in ("", "Bearer s3cret-valuE", "Bearer s3cret", "s3cret-value-and-more"):
        response = client.post(url, mail(), content_type="message/rfc822", HTTP_AUTHORIZATION=header)
        assert response.status_code == 403
    assert not Ticket.objects.exists()
    response = client.post(
        url, mail(), content_type="message/rfc822", HTTP_AUTHORIZATION="Bearer s3cret-value"
    )
    assert response.status_code == 200 and response.json()["outcome"] == "created"
    assert Ticket.objects.get().pk == response.json()["ticket"]


header_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.binary(max_size=600),
    subject=header_text,
    sender=header_text,
    body=header_text,
    extra=st.sampled_from(
        ["", "In-Reply-To: <", "References: <<<>>>", "Content-Type: multipart/mixed; boundary="]
    ),
)
def test_fuzzing_the_parser_finds_no_exception(ours, raw, subject, sender, body, extra):
    assert inbound.receive(raw).outcome in {"created", "attached", "ignored", "duplicate"}
    crafted = (
        f"From: {sender}\r\nTo: support@crm.example\r\nSubject: {subject}\r\n{extra}\r\n\r\n{body}"
    ).encode("utf-8", errors="surrogatepass")
    assert inbound.receive(crafted).outcome in {"created", "attached", "ignored", "duplicate"}
    assert inbound.receive(b"From: a@b.example\r\nSubject: x\r\n\r\n" + raw).outcome != ""
