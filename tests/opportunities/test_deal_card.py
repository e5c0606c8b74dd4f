from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import Document
from tests.factories import DealFactory


def upload(client, deal):
    return client.post(
        reverse("documents:document_upload", kwargs={"model_name": "deal", "pk": deal.pk}),
        {"file": SimpleUploadedFile("offer.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")},
    )


def test_a_document_uploaded_to_a_deal_is_listed_on_its_card(client, rep, media_root):
    deal = DealFactory(owner=rep)
    client.force_login(rep)
    assert upload(client, deal).status_code == 302
    document = Document.objects.get()
    assert document.record == deal
    assert "offer.pdf" in client.get(deal.get_absolute_url()).content.decode()


def test_a_rep_of_another_team_cannot_upload_to_a_deal_they_only_see(client, rep, rep_other_team, media_root):
    deal = DealFactory(owner=rep)
    client.force_login(rep_other_team)
    assert upload(client, deal).status_code == 403
    assert not Document.objects.exists()


def test_colleagues_are_set_on_the_deal_form(client, rep, manager):
    deal = DealFactory(owner=rep, name="Shared deal")
    client.force_login(rep)
    response = client.post(
        reverse("opportunities:deal_update", args=[deal.pk]),
        {"name": "Shared deal", "currency": "EUR", "owner": rep.pk, "colleagues": [manager.pk], "version": 1},
    )
    assert response.status_code == 302
    assert list(deal.colleagues.all()) == [manager]


def test_a_contact_is_added_with_a_role_and_removed(client, rep):
    from contacts.models import BuyingInfluence
    from opportunities.models import DealContact
    from tests.factories import PersonFactory

    deal = DealFactory(owner=rep)
    person = PersonFactory(owner=rep)
    coach = BuyingInfluence.objects.get(name="Coach")
    client.force_login(rep)
    client.post(
        reverse("opportunities:deal_contact_add", args=[deal.pk]), {"person": person.pk, "role": coach.pk}
    )
    deal_contact = DealContact.objects.get(deal=deal)
    assert (deal_contact.person, deal_contact.role) == (person, coach)
    assert "Coach" in client.get(deal.get_absolute_url()).content.decode()
    client.post(reverse("opportunities:deal_contact_remove", args=[deal.pk, deal_contact.pk]))
    assert not DealContact.objects.exists()


def test_a_person_the_user_cannot_see_is_not_added(client, restricted, rep):
    from opportunities.models import DealContact
    from tests.factories import PersonFactory

    deal = DealFactory(owner=restricted)
    hidden = PersonFactory(owner=rep)
    client.force_login(restricted)
    response = client.post(
        reverse("opportunities:deal_contact_add", args=[deal.pk]), {"person": hidden.pk}, follow=True
    )
    assert "The contact was not added" in response.content.decode()
    assert not DealContact.objects.exists()


def test_a_contact_of_another_deal_cannot_be_removed_through_this_one(client, rep):
    from opportunities.models import DealContact
    from tests.factories import PersonFactory

    mine, other = DealFactory(owner=rep), DealFactory(owner=rep)
    other_contact = DealContact.objects.create(deal=other, person=PersonFactory(owner=rep))
    client.force_login(rep)
    response = client.post(reverse("opportunities:deal_contact_remove", args=[mine.pk, other_contact.pk]))
    assert response.status_code == 404
    assert DealContact.objects.filter(pk=other_contact.pk).exists()


def test_the_primary_contact_on_the_card_is_a_link_to_the_person(client, rep):
    from tests.factories import PersonFactory

    person = PersonFactory(first_name="Greta", last_name="Lind", owner=rep)
    deal = DealFactory(owner=rep, primary_contact=person)
    client.force_login(rep)
    page = client.get(deal.get_absolute_url()).content.decode()
    details = page.split('data-testid="primary-contact"', 1)[1].split("</dd>", 1)[0]
    assert f'<a href="{person.get_absolute_url()}">Greta Lind</a>' in details


def test_the_audit_trail_tells_a_new_contact_from_a_changed_role(rep):
    from contacts.models import BuyingInfluence
    from crm.models import AuditEvent
    from opportunities import services
    from tests.factories import PersonFactory

    deal, person = DealFactory(owner=rep), PersonFactory(owner=rep)
    services.deal_contact_add(actor=rep, deal=deal, person=person)
    services.deal_contact_add(
        actor=rep, deal=deal, person=person, role=BuyingInfluence.objects.get(name="Coach")
    )
    verbs = AuditEvent.objects.filter(verb__contains="contact").order_by("pk").values_list("verb", flat=True)
    assert list(verbs) == ["add contact", "change contact role"]
