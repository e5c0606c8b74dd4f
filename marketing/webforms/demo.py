"""Demo data of web forms (issue 14 item 10): two forms — a contact form assigned round-robin in
a team, and a whitepaper form of the web campaign — with submissions made through the service,
so the leads, scores, tags and queued mails are those a real submission makes."""

from __future__ import annotations

from crm.models import Team
from marketing.models import Campaign
from marketing.webforms import services
from marketing.webforms.models import WebForm

CONTACT_FORM = "Contact us"
WHITEPAPER_FORM = "Whitepaper: digitising film archives"
FIELDS = [
    {"name": "first_name", "required": False},
    {"name": "last_name", "required": True},
    {"name": "email", "required": True},
    {"name": "company_name", "required": False},
    {"name": "message", "required": False},
    {"name": "consent", "required": False},
]
SUBMITTERS = [
    # form, first name, last name, e-mail, company, message, consent
    (CONTACT_FORM, "Ingrid", "Holm", "ingrid.holm@stadsarkivet.example", "Stadsarkivet", "Please call me about scanning.", True),
    (CONTACT_FORM, "Péter", "Kovács", "peter.kovacs@filmtar.example", "Filmtár Kft.", "Price list for microfilm?", False),
    (CONTACT_FORM, "Laura", "Svensson", "laura@museet.example", "Museet", "", True),
    (WHITEPAPER_FORM, "Anna", "Berg", "anna.berg@kommun.example", "Kommunen", "", True),
    (WHITEPAPER_FORM, "Gábor", "Nagy", "gabor.nagy@archivum.example", "Archívum Zrt.", "", True),
]  # fmt: skip


def demo_webforms_ensure(*, users) -> int:
    """Create the two demo forms and their submissions once; returns the number of submissions."""
    if WebForm.objects.filter(name=CONTACT_FORM).exists():
        return 0
    admin = users["admin"]
    owner = users.get("manager", admin)
    team = Team.objects.order_by("pk").first()
    contact = services.form_create(
        actor=admin,
        values={
            "name": CONTACT_FORM,
            "kind": WebForm.Kind.CONTACT_US,
            "fields": FIELDS,
            "title": "Contact us",
            "thank_you_text": "Thank you! A colleague will contact you within one working day.",
            "notify_seller": True,
            "assignment": WebForm.Assignment.ROUND_ROBIN if team else WebForm.Assignment.NONE,
            "assign_team": team,
            "auto_reply": True,
            "auto_reply_subject": "We got your message",
            "auto_reply_body": "Dear {{ first_name }},\n\nthank you for writing to us; we will be in touch soon.",
            "owner": owner,
        },
    )
    whitepaper = services.form_create(
        actor=admin,
        values={
            "name": WHITEPAPER_FORM,
            "kind": WebForm.Kind.WHITEPAPER,
            "fields": [item for item in FIELDS if item["name"] != "message"],
            "title": "Download the whitepaper",
            "redirect_url": "https://www.example.com/whitepaper/thank-you",
            "campaign": Campaign.objects.filter(kind=Campaign.Kind.WEB).order_by("pk").first(),
            "tag_campaign": True,
            "notify_seller": False,
            "assignment": WebForm.Assignment.USER,
            "assign_user": owner,
            "owner": owner,
        },
    )
    forms = {CONTACT_FORM: contact, WHITEPAPER_FORM: whitepaper}
    for form_name, first, last, email, company, message, consent in SUBMITTERS:
        services.submission_accept(
            form=forms[form_name],
            values={
                "first_name": first,
                "last_name": last,
                "email": email,
                "company_name": company,
                "message": message,
                "consent": consent,
            },
        )
    return len(SUBMITTERS)
