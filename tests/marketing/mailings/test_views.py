import pytest
from django.core import mail
from django.urls import reverse

from contacts.models import Person
from crm.models import CustomFieldDefinition
from marketing import segments
from marketing.mailings import services
from marketing.mailings.models import EmailCampaign, Recipient
from marketing.models import PersonScore, Segment
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


# The segment evaluator


def test_a_segment_of_a_category_holds_the_people_of_its_companies(partner_segment, audience):
    assert set(segments.members(partner_segment)) == {
        audience["people"][key] for key in ("ada", "bo", "cy", "no_consent", "unsubscribed", "no_address")
    }


def test_a_segment_of_companies_reaches_the_people_of_the_companies_it_selects(audience):
    segment = Segment(target=Segment.Target.COMPANIES, definition={"sectors": [audience["sector"].pk]})
    assert segments.members(segment).count() == 6
    segment.definition = {"sectors": [audience["sector"].pk + 1000]}
    assert segments.members(segment).count() == 0


def test_consent_score_and_grade_filters_combine(audience):
    ada, bo = audience["people"]["ada"], audience["people"]["bo"]
    PersonScore.objects.create(person=ada, score=40, grade="B")
    PersonScore.objects.create(person=bo, score=10, grade="D")
    base = {"categories": [audience["category"].pk], "consent": "yes"}
    assert set(segments.members(Segment(definition={**base, "min_score": 20}))) == {ada}
    assert set(segments.members(Segment(definition={**base, "grades": ["D"]}))) == {bo}
    no = Segment(definition={"categories": [audience["category"].pk], "consent": "no"})
    assert set(segments.members(no)) == {audience["people"]["no_consent"], audience["people"]["unsubscribed"]}


def test_a_person_custom_field_filters_the_segment(audience):
    CustomFieldDefinition.objects.create(
        target="contacts.person", key="newsletter", label="Newsletter", field_type="choice",
        choices="weekly\nmonthly", filterable=True,
    )  # fmt: skip
    ada = audience["people"]["ada"]
    Person.objects.filter(pk=ada.pk).update(custom_fields={"newsletter": "weekly"})
    assert list(segments.members(Segment(definition={"custom": {"newsletter": "weekly"}}))) == [ada]


def test_a_hand_written_definition_with_junk_values_is_ignored_not_a_crash(audience):
    junk = {"categories": ["x", None, True], "min_score": "ten", "grades": [1], "custom": ["x"], "owners": {}}
    assert segments.members(Segment(definition=junk)).count() == Person.objects.count()


def test_members_are_only_those_the_user_sees(personas, audience):
    mine = PersonFactory(owner=personas.restricted, company=audience["company"])
    others = PersonFactory(owner=personas.rep_other_team, company=audience["company"])
    segment = Segment(definition={"categories": [audience["category"].pk]})
    seen = set(segments.members(segment, personas.restricted))
    assert mine in seen and others not in seen


# Pages


def test_segment_pages_are_for_marketing_only(client, personas, partner_segment):
    client.force_login(personas.rep)
    assert client.get(reverse("mailings:segment_list")).status_code == 403
    assert client.get(reverse("mailings:segment_detail", args=[partner_segment.pk])).status_code == 403


def test_a_manager_saves_a_segment_from_the_form_and_sees_its_members(client, personas, audience):
    client.force_login(personas.manager)
    data = {
        "name": "Partners who agree",
        "target": "people",
        "categories": [audience["category"].pk],
        "consent": "yes",
    }
    response = client.post(reverse("mailings:segment_create"), data)
    segment = Segment.objects.get(name="Partners who agree")
    assert response.status_code == 302
    assert segment.definition["categories"] == [audience["category"].pk]
    assert segment.definition["consent"] == "yes"
    page = client.get(reverse("mailings:segment_detail", args=[segment.pk]))
    assert b"Ada" in page.content and b"Nils" not in page.content


def test_the_live_count_follows_the_form(client, personas, audience):
    client.force_login(personas.manager)
    url = reverse("mailings:segment_count")
    response = client.get(url, {"name": "x", "target": "people", "categories": [audience["category"].pk]})
    assert response.status_code == 200
    assert response.context["counts"] == {"members": 6, "reachable": 3, "excluded": 3}
    bad = client.get(url, {"name": "x", "target": "people", "min_score": "lots"})
    assert bad.status_code == 200 and bad.context["counts"] is None


def test_editing_a_segment_with_a_stale_version_is_refused(client, personas, partner_segment):
    client.force_login(personas.manager)
    url = reverse("mailings:segment_update", args=[partner_segment.pk])
    response = client.post(
        url, {"name": "Renamed", "target": "people", "version": partner_segment.version - 1}
    )
    assert response.status_code == 200
    partner_segment.refresh_from_db()
    assert partner_segment.name == "Partners"


def test_a_manager_composes_tests_and_sends_a_campaign_from_its_pages(
    client, personas, mailing, audience, django_capture_on_commit_callbacks
):
    personas.manager.email = "manager@acme.example"
    personas.manager.save()
    client.force_login(personas.manager)
    detail = client.get(reverse("mailings:mailing_detail", args=[mailing.pk]))
    assert detail.context["audience"] == {"members": 6, "reachable": 3, "excluded": 3}
    assert client.post(reverse("mailings:mailing_test_send", args=[mailing.pk])).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("mailings:mailing_send", args=[mailing.pk])).status_code == 302
    mailing.refresh_from_db()
    assert mailing.status == EmailCampaign.Status.SENT
    assert sorted(m.to[0] for m in mail.outbox if not m.subject.startswith("[Test]")) == sorted(
        audience["people"][key].email for key in ("ada", "bo", "cy")
    )
    stats = client.get(reverse("mailings:mailing_detail", args=[mailing.pk]))
    assert stats.context["stats"]["counts"]["sent"] == 3
    assert b"mailing-stats" in stats.content


def test_a_past_send_time_is_refused_with_a_message_and_nothing_is_sent(client, personas, mailing):
    client.force_login(personas.manager)
    response = client.post(
        reverse("mailings:mailing_send", args=[mailing.pk]), {"send_at": "2001-01-01T10:00"}
    )
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert mailing.status == EmailCampaign.Status.DRAFT
    assert not Recipient.objects.exists()


def test_a_manager_creates_a_campaign_from_the_form(client, personas, mailing):
    client.force_login(personas.manager)
    data = {
        "name": "Autumn", "campaign": mailing.campaign_id, "segment": mailing.segment_id,
        "subject": "Hi {{ contact.first_name }}", "body": "See https://example.com",
    }  # fmt: skip
    assert client.post(reverse("mailings:mailing_create"), data).status_code == 302
    bad = client.post(reverse("mailings:mailing_create"), {**data, "name": "Bad", "body": "{% load x %}"})
    assert bad.status_code == 200 and "body" in bad.context["form"].errors
    assert not EmailCampaign.objects.filter(name="Bad").exists()


def test_a_sent_campaign_cannot_be_edited(client, personas, mailing):
    services.mailing_send(actor=personas.manager, mailing=mailing)
    client.force_login(personas.manager)
    data = {"name": "Changed", "campaign": mailing.campaign_id, "segment": mailing.segment_id, "version": 1}
    response = client.post(
        reverse("mailings:mailing_update", args=[mailing.pk]), {**data, "subject": "x", "body": "y"}
    )
    assert response.status_code == 200
    mailing.refresh_from_db()
    assert mailing.name == "Launch mail"


def test_the_person_card_lists_the_campaigns_they_received_and_what_they_did(
    client, personas, mailing, audience, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_send(actor=personas.manager, mailing=mailing)
    ada = audience["people"]["ada"]
    services.record_click(recipient_id=Recipient.objects.get(person=ada).pk, link=0)
    client.force_login(personas.admin)
    card = client.get(ada.get_absolute_url())
    assert b'data-testid="mailings-panel"' in card.content
    assert b"Launch mail" in card.content and b"clicked" in card.content


def test_gdpr_knows_the_recipient_rows_of_a_person():
    from gdpr import registry

    models = {linked.model.__name__ for linked in registry.linked_to("person")}
    assert {"Recipient", "MailEvent"} <= models


def test_deleting_a_person_deletes_their_recipient_rows_and_the_address_with_them(
    personas, mailing, audience
):
    from contacts import services as contact_services

    services.mailing_send(actor=personas.manager, mailing=mailing)
    ada = audience["people"]["ada"]
    contact_services.person_delete(actor=personas.admin, person=ada)
    assert not Recipient.objects.filter(email=ada.email).exists()
    assert Recipient.objects.filter(email_campaign=mailing).count() == 2


def test_unsubscribing_twice_through_contacts_notes_it_once(audience):
    from contacts import services as contact_services
    from crm.models import AuditEvent

    ada = audience["people"]["ada"]
    assert contact_services.person_unsubscribe(person=ada, source="test") is True
    assert contact_services.person_unsubscribe(person=ada, source="test") is False
    assert AuditEvent.objects.filter(verb="unsubscribe", object_id=str(ada.pk)).count() == 1
    assert Person.objects.get(pk=ada.pk).unsubscribed_at is not None
