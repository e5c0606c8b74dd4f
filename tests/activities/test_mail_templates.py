"""E-mail templates: the sandboxed merge, and sending one from a person or deal card in two
clicks, logged as history (activities/templates_mail.py, activities/mail_views.py)."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from activities import templates_mail
from activities.models import Activity, EmailTemplate
from crm.models import OutboundEmail
from tests.factories import CompanyFactory, DealFactory, PersonFactory, UserFactory


@pytest.fixture
def thank_you(db):
    """The template shipped with seed 004's data migration."""
    return EmailTemplate.objects.get(name="Thank you for the meeting")


@pytest.fixture
def customer(personas):
    company = CompanyFactory(name="Nordlys Arkiv", owner=personas.rep)
    return PersonFactory(
        first_name="Åsa",
        last_name="Öberg",
        email="asa@nordlys.example",
        company=company,
        owner=personas.rep,
        consent_email=True,
    )


def context(**records):
    return {"contact": None, "company": None, "deal": None, "user": None, **records}


# The merge


def test_merge_fields_are_filled_from_the_records(personas, customer):
    personas.rep.email_signature = "Rep\nNorth team"
    text = "Hi {{ contact.first_name }} at {{company.name}}, from {{ user.full_name }}\n{{ user.signature }}"
    merged = templates_mail.merge(
        text, context(contact=customer, company=customer.company, user=personas.rep)
    )
    assert merged == f"Hi Åsa at Nordlys Arkiv, from {personas.rep.get_full_name()}\nRep\nNorth team"


def test_values_are_escaped_in_the_html_part_and_the_templates_own_text_too(customer):
    customer.first_name = '<script>alert("x")</script>'
    html = templates_mail.merge("<b>Hi</b> {{ contact.first_name }}", context(contact=customer), html=True)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html
    text = templates_mail.merge("Hi {{ contact.first_name }}", context(contact=customer))
    assert text == 'Hi <script>alert("x")</script>'  # plain text is not HTML


@pytest.mark.parametrize(
    "text",
    [
        "{{ contact.salary }}",
        "{{ customer.name }}",
        "{{ contact.__class__ }}",
        "{{ contact.first_name|upper }}",
        "{{ contact }}",
        "{% load static %}",
        "{% for p in contact.company.people.all %}{{ p.email }}{% endfor %}",
        "{# note #}",
        "Unclosed {{ contact.first_name",
    ],
)
def test_anything_but_a_known_merge_field_is_refused_with_a_clear_message(text):
    with pytest.raises(templates_mail.MergeError) as refused:
        templates_mail.merge(text, context())
    assert "merge field" in refused.value.message


def test_an_unknown_field_lists_the_ones_that_exist():
    with pytest.raises(templates_mail.MergeError, match=re.escape("Available: {{ contact.first_name }}")):
        templates_mail.check_template("{{ contact.salary }}")


def test_the_admin_cannot_save_a_template_with_an_unknown_field(db):
    template = EmailTemplate(name="Bad", subject="{{ deal.name }}", body="{{ user.password }}")
    with pytest.raises(ValidationError) as refused:
        template.full_clean()
    assert set(refused.value.message_dict) == {"body"}


def test_a_company_hidden_from_the_sender_is_not_merged(personas, reps_see_only_own):
    hidden = CompanyFactory(name="Secret Holdings", owner=personas.rep_other_team)
    person = PersonFactory(first_name="Bo", email="bo@example.com", company=hidden, owner=personas.rep)
    template = EmailTemplate.objects.create(name="T", subject="For {{ company.name }}", body="x")
    with pytest.raises(templates_mail.MergeError, match="none you can see"):
        templates_mail.render_for(template=template, user=personas.rep, person=person)
    assert templates_mail.merge_context(user=personas.rep, person=person)["company"] is None


# Sending from the card


def compose_url(record):
    return reverse(f"activities:mail_{record._meta.model_name}", args=[record.pk])


def preview(client, record, template):
    response = client.get(compose_url(record), {"template": template.pk})
    assert response.status_code == 200
    return response, re.search(r'name="send_key" value="([0-9a-f-]+)"', response.content.decode()).group(1)


def test_a_template_is_sent_from_a_person_in_two_clicks_and_logged_as_history(
    client, personas, customer, thank_you, django_capture_on_commit_callbacks
):
    personas.rep.email_signature = "Rep · North"
    personas.rep.save()
    client.force_login(personas.rep)
    card = client.get(customer.get_absolute_url())
    assert (
        compose_url(customer) in card.content.decode()
        and "Thank you for the meeting" in card.content.decode()
    )

    response, send_key = preview(client, customer, thank_you)  # click 1: choose and preview
    assert "Thank you for meeting us, Åsa" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(compose_url(customer), {"template": thank_you.pk, "send_key": send_key})  # click 2
    assert sent.status_code == 302 and sent.url == customer.get_absolute_url()

    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["asa@nordlys.example"], "Thank you for meeting us, Åsa")
    ]
    assert "Rep · North" in mail.outbox[0].body
    entry = Activity.objects.get(person=customer)
    assert (entry.status, entry.activity_type.name, entry.owner) == ("done", "E-mail", personas.rep)
    assert entry.subject == "Thank you for meeting us, Åsa" and entry.company == customer.company
    assert entry in Activity.objects.visible_to(personas.rep).history()


def test_sending_the_same_preview_twice_sends_and_logs_once(
    client, personas, customer, thank_you, django_capture_on_commit_callbacks
):
    client.force_login(personas.rep)
    _response, send_key = preview(client, customer, thank_you)
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(2):
            assert (
                client.post(
                    compose_url(customer), {"template": thank_you.pk, "send_key": send_key}
                ).status_code
                == 302
            )
    assert OutboundEmail.objects.count() == 1 and len(mail.outbox) == 1
    assert Activity.objects.filter(person=customer).count() == 1


def test_a_template_is_sent_from_a_deal_to_its_contact(
    client, personas, customer, thank_you, django_capture_on_commit_callbacks
):
    deal = DealFactory(
        name="Archive digitisation", owner=personas.rep, company=customer.company, primary_contact=customer
    )
    client.force_login(personas.rep)
    _response, send_key = preview(client, deal, thank_you)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post(compose_url(deal), {"template": thank_you.pk, "send_key": send_key}).status_code
            == 302
        )
    assert mail.outbox[0].to == ["asa@nordlys.example"]
    entry = Activity.objects.get(deal=deal)
    assert (entry.person, entry.status) == (customer, "done")


@pytest.mark.parametrize(
    "query",
    [{"template": "abc"}, {"template": "999999"}, {"template": ""}],
)
def test_a_bad_template_choice_answers_422(client, personas, customer, thank_you, query):
    client.force_login(personas.rep)
    assert client.get(compose_url(customer), query).status_code == 422


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"template": "1"},
        {"send_key": "not-a-uuid"},
        {"template": "abc", "send_key": "3f1c8e4e-0000-4000-8000-000000000000"},
    ],
)
def test_a_bad_send_answers_422_and_sends_nothing(client, personas, customer, thank_you, data):
    client.force_login(personas.rep)
    assert client.post(compose_url(customer), data).status_code == 422
    assert not OutboundEmail.objects.exists() and not Activity.objects.exists()


def test_a_person_without_an_address_or_a_deal_without_a_contact_answers_422(client, personas, thank_you):
    client.force_login(personas.rep)
    no_address = PersonFactory(email="", owner=personas.rep)
    response = client.get(compose_url(no_address), {"template": thank_you.pk})
    assert response.status_code == 422 and "no e-mail address" in response.content.decode()
    deal = DealFactory(owner=personas.rep)
    response = client.get(compose_url(deal), {"template": thank_you.pk})
    assert response.status_code == 422 and "no contact" in response.content.decode()


def test_a_template_with_a_field_the_record_lacks_answers_422(client, personas):
    template = EmailTemplate.objects.create(name="Deal", subject="About {{ deal.name }}", body="x")
    person = PersonFactory(email="p@example.com", owner=personas.rep)
    client.force_login(personas.rep)
    response = client.get(compose_url(person), {"template": template.pk})
    assert response.status_code == 422 and "needs a deal" in response.content.decode()


def test_an_inactive_template_cannot_be_sent(client, personas, customer, thank_you):
    EmailTemplate.objects.filter(pk=thank_you.pk).update(is_active=False)
    client.force_login(personas.rep)
    assert client.get(compose_url(customer), {"template": thank_you.pk}).status_code == 422


def test_someone_elses_hidden_person_is_404_and_no_permission_is_403(
    client, personas, reps_see_only_own, thank_you
):
    hidden = PersonFactory(email="h@example.com", owner=personas.rep_other_team)
    client.force_login(personas.rep)
    assert client.get(compose_url(hidden)).status_code == 404
    assert (
        client.post(
            compose_url(hidden),
            {"template": thank_you.pk, "send_key": "3f1c8e4e-0000-4000-8000-000000000000"},
        ).status_code
        == 404
    )
    nobody = UserFactory(username="no_role")
    mine = PersonFactory(email="m@example.com", owner=nobody)
    client.force_login(nobody)
    assert client.get(compose_url(mine)).status_code == 403
    nobody.user_permissions.add(Permission.objects.get(codename="add_activity"))
    assert client.get(compose_url(mine)).status_code == 200
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("refusal", [{"consent_email": False}, {"unsubscribed_at": "2026-01-01T00:00:00Z"}])
def test_a_person_without_consent_to_email_is_refused_and_nothing_is_sent(
    personas, customer, thank_you, refusal
):
    type(customer).objects.filter(pk=customer.pk).update(**refusal)
    customer.refresh_from_db()
    with pytest.raises(ValidationError, match="has not agreed to receive e-mail"):
        templates_mail.template_send(actor=personas.rep, template=thank_you, person=customer, send_key="k1")
    assert not OutboundEmail.objects.exists() and not Activity.objects.exists()


def test_the_card_says_why_a_mail_to_a_person_without_consent_was_not_sent(
    client, personas, customer, thank_you
):
    type(customer).objects.filter(pk=customer.pk).update(consent_email=False)
    client.force_login(personas.rep)
    _response, send_key = preview(client, customer, thank_you)
    response = client.post(compose_url(customer), {"template": thank_you.pk, "send_key": send_key})
    assert response.status_code == 422 and "has not agreed to receive e-mail" in response.content.decode()
    assert not OutboundEmail.objects.exists()
