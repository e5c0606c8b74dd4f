"""The marketing user's pages: forms built and edited through the service, behind the permission
and crm.access; submissions shown without naming leads the viewer may not see; the tracking set-up;
the card panel; GDPR."""

import pytest
from django.urls import reverse

from gdpr import services as gdpr_services
from leads.models import Lead
from marketing.webforms import services
from marketing.webforms.models import PagePattern, PageVisit, Submission, WebForm
from tests.factories import LeadFactory, PersonFactory

pytestmark = pytest.mark.django_db


def form_post(**changes):
    return {
        "name": "Whitepaper",
        "kind": "whitepaper",
        "is_active": "on",
        "ask_last_name": "required",
        "ask_email": "required",
        "ask_consent": "optional",
        "assignment": "none",
        "notify_seller": "on",
        **changes,
    }


def test_a_manager_builds_a_form_with_chosen_fields(client, personas):
    client.force_login(personas.manager)
    response = client.post(reverse("webforms:form_create"), form_post(owner=personas.manager.pk))
    web_form = WebForm.objects.get()
    assert response.status_code == 302 and response["Location"] == web_form.get_absolute_url()
    assert web_form.fields == [
        {"name": "last_name", "required": True},
        {"name": "email", "required": True},
        {"name": "consent", "required": False},
    ]
    assert web_form.owner == personas.manager
    detail = client.get(web_form.get_absolute_url()).content.decode()
    assert str(web_form.public_key) in detail and "&lt;iframe" in detail


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"redirect_url": "javascript:alert(1)"}, "redirect_url"),
        ({"redirect_url": "//evil.example/"}, "redirect_url"),
        ({"ask_email": ""}, "ask_email"),
        ({"assignment": "user"}, "assign_user"),
        ({"assignment": "round_robin"}, "assign_team"),
        ({"auto_reply": "on"}, "auto_reply_body"),
    ],
)
def test_bad_form_settings_are_refused_next_to_the_field(client, personas, changes, field):
    client.force_login(personas.manager)
    response = client.post(reverse("webforms:form_create"), form_post(**changes))
    assert response.status_code == 200
    assert response.context["form"].errors.get(field)
    assert not WebForm.objects.exists()


def test_a_user_without_the_marketing_permission_is_refused(client, personas, web_form):
    client.force_login(personas.rep)
    assert client.get(reverse("webforms:form_list")).status_code == 403
    assert client.post(reverse("webforms:form_create"), form_post()).status_code == 403
    assert client.get(web_form.get_absolute_url()).status_code == 403
    assert WebForm.objects.count() == 1


def test_editing_goes_through_the_version_check(client, personas, web_form):
    client.force_login(personas.manager)
    url = reverse("webforms:form_update", kwargs={"pk": web_form.pk})
    assert client.post(url, form_post(name="Renamed", version=web_form.version)).status_code == 302
    assert client.post(url, form_post(name="Stale", version=web_form.version)).status_code == 409
    web_form.refresh_from_db()
    assert web_form.name == "Renamed"


def test_the_submissions_link_only_to_leads_the_viewer_may_see(client, personas, web_form, reps_see_only_own):
    personas.rep.user_permissions.add(*_marketing_permission())
    web_form.owner = personas.rep
    web_form.save()
    hidden = LeadFactory(last_name="Hidden", owner=personas.rep_other_team)
    own = LeadFactory(last_name="Own", owner=personas.rep)
    for lead in (hidden, own):
        Submission.objects.create(form=web_form, lead=lead, email=f"{lead.pk}@x.example")
    client.force_login(personas.rep)
    body = client.get(web_form.get_absolute_url()).content.decode()
    assert reverse("leads:lead_detail", kwargs={"pk": own.pk}) in body
    assert reverse("leads:lead_detail", kwargs={"pk": hidden.pk}) not in body


def _marketing_permission():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename="manage_marketing")


def test_the_tracking_page_adds_and_removes_patterns_and_shows_the_snippet(client, personas):
    client.force_login(personas.manager)
    url = reverse("webforms:tracking")
    page = client.get(url)
    assert b"webforms/track.js" in page.content and b"/w/t/visit" in page.content
    existing = list(PagePattern.objects.order_by("excluded", "-points", "pattern"))
    data = {"form-TOTAL_FORMS": len(existing) + 1, "form-INITIAL_FORMS": len(existing)}
    for index, pattern in enumerate(existing):
        data |= {f"form-{index}-id": pattern.pk, f"form-{index}-pattern": pattern.pattern,
                 f"form-{index}-points": pattern.points}  # fmt: skip
        if pattern.pattern == "*":
            data[f"form-{index}-DELETE"] = "on"
    new = len(existing)
    data |= {f"form-{new}-pattern": "/portal", f"form-{new}-points": "0", f"form-{new}-excluded": "on"}
    assert client.post(url, data).status_code == 302
    assert not PagePattern.objects.filter(pattern="*").exists()
    assert PagePattern.objects.get(pattern="/portal").excluded


def test_the_lead_card_shows_its_submissions_and_visits(client, personas, web_form):
    lead = services.submission_accept(
        form=web_form, values={"last_name": "Doe", "email": "d@x.example", "consent": True, "message": "Hi"}
    ).lead
    PageVisit.objects.create(lead=lead, url="https://www.example.com/pricing", points=10)
    client.force_login(personas.admin)
    body = client.get(lead.get_absolute_url()).content.decode()
    assert 'data-testid="webform-submissions"' in body and "Contact us" in body
    assert "https://www.example.com/pricing" in body


def test_anonymising_a_lead_reaches_its_submissions(personas, web_form):
    lead = LeadFactory(first_name="Jane", last_name="Doe", email="jane@x.example")
    Submission.objects.create(
        form=web_form,
        lead=lead,
        first_name="Jane",
        last_name="Doe",
        email=lead.email,
        message="I am Jane Doe",
    )
    gdpr_services.record_anonymise(actor=personas.admin, record=lead)
    submission = Submission.objects.get()
    assert "Jane" not in (submission.first_name + submission.last_name + submission.message)
    assert submission.email == Lead.objects.get().email  # optional fields follow the GDPR settings


def test_a_persons_visits_are_on_their_card(client, personas):
    person = PersonFactory(owner=personas.rep)
    PageVisit.objects.create(person=person, url="https://www.example.com/docs", points=1)
    client.force_login(personas.rep)
    assert b"https://www.example.com/docs" in client.get(person.get_absolute_url()).content
