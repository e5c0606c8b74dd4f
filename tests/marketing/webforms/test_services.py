"""Web form submissions and website visits, through the services: the lead, its score, the
actions, all or nothing; the visit rules (consent, patterns, forged tokens)."""

from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts.models import CompanyCategory
from crm.models import OutboundEmail
from leads.models import Lead
from marketing import attribution, scoring, visitors
from marketing.models import Campaign, PersonScore, ScoreEvent, ScoreKind
from marketing.webforms import beacon, services
from marketing.webforms.models import PagePattern, PageVisit, Submission, WebForm, pattern_matches
from tests.factories import CompanyFactory, LeadFactory, PersonFactory
from tests.marketing.webforms.conftest import drain

pytestmark = pytest.mark.django_db


def submit(form, **values):
    return services.submission_accept(
        form=form, values={"last_name": "Doe", "email": "jane@acme.example", **values}
    )


def test_a_submission_creates_a_scored_lead_with_what_was_typed(web_form):
    result = submit(web_form, first_name="Jane", company_name="Acme", message="Call me")
    lead = Lead.objects.get(pk=result.lead.pk)
    assert (lead.first_name, lead.last_name, lead.email, lead.company_name) == (
        "Jane",
        "Doe",
        "jane@acme.example",
        "Acme",
    )
    assert lead.description == "Call me"
    assert lead.score == scoring.points_for(ScoreKind.FORM_SUBMITTED) == 10
    assert ScoreEvent.objects.get(lead=lead).kind == ScoreKind.FORM_SUBMITTED
    submission = Submission.objects.get()
    assert (submission.lead, submission.form, submission.created_lead) == (lead, web_form, True)


def test_a_second_submission_fills_in_the_open_lead_without_overwriting_it(web_form):
    lead = LeadFactory(first_name="", last_name="Original", email="jane@acme.example", company_name="")
    result = submit(web_form, first_name="Jane", last_name="Forged", company_name="Acme")
    assert result.lead.pk == lead.pk
    lead.refresh_from_db()
    assert (lead.first_name, lead.last_name, lead.company_name) == ("Jane", "Original", "Acme")
    assert Lead.objects.count() == 1
    assert not Submission.objects.get().created_lead


def test_a_converted_lead_is_not_reused(web_form):
    LeadFactory(last_name="Old", email="jane@acme.example", status=Lead.Status.DISQUALIFIED)
    submit(web_form)
    assert Lead.objects.filter(email="jane@acme.example").count() == 2


def test_the_lead_goes_to_the_fixed_user(web_form, personas):
    web_form.assignment, web_form.assign_user = WebForm.Assignment.USER, personas.rep
    web_form.save()
    assert submit(web_form).lead.owner == personas.rep


def test_round_robin_hands_leads_to_each_team_member_in_turn(web_form, personas):
    web_form.assignment, web_form.assign_team = WebForm.Assignment.ROUND_ROBIN, personas.north
    web_form.save()
    owners = [submit(web_form, email=f"p{number}@x.example").lead.owner for number in range(4)]
    members = sorted([personas.rep, personas.restricted], key=lambda user: user.pk)
    assert owners == members * 2
    web_form.refresh_from_db()
    assert web_form.round_robin_next == 4


def test_round_robin_with_an_empty_team_leaves_the_lead_unassigned(web_form, personas):
    web_form.assignment, web_form.assign_team = WebForm.Assignment.ROUND_ROBIN, personas.south
    web_form.save()
    personas.south.members.clear()
    assert submit(web_form).lead.owner is None


def test_the_lead_is_tagged_in_the_campaign_as_converting(web_form, personas):
    campaign = Campaign.objects.create(name="Spring fair", owner=personas.manager)
    web_form.campaign = campaign
    web_form.save()
    lead = submit(web_form).lead
    assert attribution.campaigns_of(lead) == {"first": campaign, "converting": campaign}
    assert ScoreEvent.objects.get(lead=lead).campaign == campaign


def test_the_company_with_the_email_domain_is_tagged_in_the_category(web_form):
    category = CompanyCategory.objects.create(name="Web prospects")
    company = CompanyFactory(email_domain="acme.example")
    web_form.company_category = category
    web_form.save()
    result = submit(web_form)
    assert list(company.categories.all()) == [category]
    assert "company_tagged" in result.actions


def test_auto_reply_and_seller_notification_are_queued_with_merge_fields(web_form, personas):
    web_form.auto_reply, web_form.auto_reply_subject = True, "Hello {{ first_name }}"
    web_form.auto_reply_body = "Dear {{first_name}} {{ last_name }}, thanks for {{ form }}. {{ secret }}"
    web_form.notify_seller, web_form.assignment, web_form.assign_user = True, "user", personas.rep
    web_form.save()
    submit(web_form, first_name="Jane")
    reply = OutboundEmail.objects.get(recipients=["jane@acme.example"])
    assert reply.subject == "Hello Jane"
    assert reply.body_text == "Dear Jane Doe, thanks for Contact us. {{ secret }}"
    notice = OutboundEmail.objects.get(recipients=[personas.rep.email])
    assert "Contact us" in notice.subject
    assert "jane@acme.example" in notice.body_text


def test_a_failure_half_way_leaves_nothing_behind(web_form, monkeypatch, personas):
    web_form.auto_reply, web_form.auto_reply_subject, web_form.auto_reply_body = True, "Hi", "Hi"
    web_form.save()

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services.Submission.objects, "create", broken)
    with pytest.raises(RuntimeError):
        submit(web_form)
    assert not Lead.objects.exists()
    assert not ScoreEvent.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_an_empty_email_is_refused(web_form):
    with pytest.raises(ValidationError):
        submit(web_form, email="  ")
    assert not Lead.objects.exists()


def test_the_visitor_token_is_given_only_with_consent(web_form):
    assert submit(web_form).visitor_token == ""
    token = submit(web_form, consent=True).visitor_token
    assert visitors.visitor_from_token(token).lead_id == Lead.objects.get().pk


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/pricing", "/pricing", True),
        ("/pricing", "/pricing/teams", True),
        ("/pricing", "/pricingx", False),
        ("/portal/*", "/portal/tickets", True),
        ("*/thank-you*", "/en/thank-you/", True),
        ("*", "/anything", True),
        ("/Docs", "/docs/a", True),
    ],
)
def test_page_patterns_match_paths(pattern, path, matches):
    assert pattern_matches(pattern, path) is matches


def test_the_most_specific_pattern_gives_the_points_and_exclusions_win():
    PagePattern.objects.all().delete()
    PagePattern.objects.create(pattern="*", points=1)
    PagePattern.objects.create(pattern="/pricing", points=10)
    PagePattern.objects.create(pattern="/portal/*", points=5, excluded=True)
    assert services.points_of_path("/blog/x") == 1
    assert services.points_of_path("/pricing/teams") == 10
    assert services.points_of_path("/portal/x") is None


def test_a_changed_pattern_applies_at_once_in_this_process(personas, django_capture_on_commit_callbacks):
    assert services.points_of_path("/pricing") == 10  # seeded (migration 0002), now cached
    pattern = PagePattern.objects.get(pattern="/pricing")
    pattern.points = 25
    with django_capture_on_commit_callbacks(execute=True):
        services.pattern_save(actor=personas.admin, pattern=pattern)
    assert services.points_of_path("/pricing") == 25


@pytest.fixture
def consenting_person():
    return PersonFactory(email="p@x.example", consent_email=True)


def visit(token, url="https://www.example.com/pricing"):
    """Report a visit as the snippet does, write it as the drain does: the visit recorded, or None."""
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "REMOTE_ADDR": "192.0.2.1",
    }
    body = urlencode({"url": url, "vid": token}).encode()
    environ["CONTENT_LENGTH"] = str(len(body))
    assert beacon.answer(environ, lambda length: body) == 204
    before = set(PageVisit.objects.values_list("pk", flat=True))
    drain()
    return PageVisit.objects.exclude(pk__in=before).select_related("person", "lead").first()


def test_a_known_consenting_persons_visit_is_recorded_and_scored(consenting_person):
    token = visitors.visitor_token(person_id=consenting_person.pk)
    recorded = visit(token)
    assert recorded.person == consenting_person and recorded.points == 10
    assert PersonScore.objects.get(person=consenting_person).score == 10
    assert ScoreEvent.objects.get(person=consenting_person).kind == ScoreKind.PAGE_VISITED


def test_people_without_consent_or_unsubscribed_are_not_tracked(consenting_person):
    no_consent = PersonFactory(consent_email=False)
    consenting_person.unsubscribed_at = timezone.now()
    consenting_person.save()
    for person in (no_consent, consenting_person):
        assert visit(visitors.visitor_token(person_id=person.pk)) is None
    assert not PageVisit.objects.exists() and not ScoreEvent.objects.exists()


def test_a_forged_or_unknown_token_records_nothing(consenting_person):
    token = visitors.visitor_token(person_id=consenting_person.pk)
    for bad in (token[:-2] + "xx", "", "garbage", visitors.visitor_token(person_id=987654)):
        assert visit(bad) is None
    assert not PageVisit.objects.exists()


def test_an_excluded_page_is_not_recorded(consenting_person):
    PagePattern.objects.create(pattern="/portal", points=0, excluded=True)
    assert (
        visit(visitors.visitor_token(person_id=consenting_person.pk), "https://w.example/portal/me") is None
    )


def test_a_lead_is_tracked_only_after_a_submission_with_consent(web_form):
    lead = submit(web_form).lead
    assert visit(visitors.visitor_token(lead_id=lead.pk)) is None
    token = submit(web_form, consent=True).visitor_token
    assert visit(token).lead == lead
    lead.refresh_from_db()
    assert lead.score == 10 + 10 + 10  # two submissions and the pricing page
