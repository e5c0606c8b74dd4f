"""The timeline on the cards and the activity forms (activities.views): the MiniCRM flow of seed
003 (complete a to-do, then the next one pre-filled, one click to skip), bad input (422, never
500), someone else's ids (404), each role's permissions, and the next step / first meetings on
the sales board (crm.listings)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, ActivityType, MeetingCategory
from tests.factories import ActivityFactory, CompanyFactory, DealFactory, PersonFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _card(record) -> str:
    return f"{record._meta.model_name}:{record.pk}"


@pytest.fixture
def own_company(personas):
    return CompanyFactory(name="Own Archive AB", owner=personas.rep)


def test_company_card_shows_open_todos_first_and_history_newest_first(client, personas, own_company):
    rep = personas.rep
    ActivityFactory(
        company=own_company,
        owner=rep,
        subject="Later call",
        due_at=timezone.now() + datetime.timedelta(days=3),
    )
    ActivityFactory(
        company=own_company,
        owner=rep,
        subject="Overdue call",
        due_at=timezone.now() - datetime.timedelta(days=2),
    )
    for days, subject in ((5, "Old visit"), (1, "Recent visit")):
        ActivityFactory(
            company=own_company, owner=rep, subject=subject, status="done",
            done_at=timezone.now() - datetime.timedelta(days=days), outcome=f"{subject} went well",
        )  # fmt: skip
    client.force_login(rep)
    text = client.get(own_company.get_absolute_url()).content.decode()
    order = [text.index(subject) for subject in ("Overdue call", "Later call", "Recent visit", "Old visit")]
    assert order == sorted(order)
    assert 'data-testid="overdue"' in text
    assert "Recent visit went well" in text


def test_company_timeline_holds_the_activities_of_its_deals_and_people(client, personas, own_company):
    deal = DealFactory(name="Own deal", company=own_company, owner=personas.rep)
    person = PersonFactory(first_name="Own", company=own_company, owner=personas.rep)
    from activities import services

    services.activity_create(
        actor=personas.rep,
        values={"subject": "Deal follow-up", "deal": deal, "activity_type": ActivityType.objects.first()},
    )
    services.activity_create(
        actor=personas.rep,
        values={"subject": "Person call", "person": person, "activity_type": ActivityType.objects.first()},
    )
    client.force_login(personas.rep)
    text = client.get(own_company.get_absolute_url()).content.decode()
    assert "Deal follow-up" in text and "Person call" in text
    assert "Deal follow-up" in client.get(deal.get_absolute_url()).content.decode()
    assert "Person call" in client.get(person.get_absolute_url()).content.decode()


def test_timeline_hides_activities_of_records_the_viewer_cannot_see(
    client, personas, reps_see_only_own, own_company
):
    hidden_deal = DealFactory(name="Hidden deal", company=own_company, owner=personas.rep_other_team)
    ActivityFactory(deal=hidden_deal, company=own_company, owner=personas.rep, subject="Secret step")
    client.force_login(personas.rep)
    text = client.get(own_company.get_absolute_url()).content.decode()
    assert "Secret step" not in text and "Hidden deal" not in text


def test_completing_a_todo_moves_it_to_history_and_offers_the_next_one(client, personas, own_company):
    todo = ActivityFactory(company=own_company, owner=personas.rep, subject="Call the archivist")
    client.force_login(personas.rep)
    response = client.post(
        reverse("activities:activity_complete", args=[todo.pk]),
        {"version": todo.version, "outcome": "Wants an offer", "card": _card(own_company)},
        **HTMX,
    )
    assert response.status_code == 200
    todo.refresh_from_db()
    assert todo.status == Activity.Status.DONE and todo.outcome == "Wants an offer"
    text = response.content.decode()
    assert 'data-testid="next-todo-prompt"' in text and 'data-testid="skip-next"' in text
    # The next to-do comes pre-filled: a week after the done one, of its type, for its owner.
    expected_due = timezone.localtime(todo.due_at + datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    assert expected_due in text
    # Adding it takes one more POST; it lands at the top of the refreshed timeline.
    response = client.post(
        reverse("activities:activity_create") + f"?company={own_company.pk}",
        {"quick": "1", "subject": "Send the offer", "activity_type": todo.activity_type_id,
         "due_at": expected_due, "owner": personas.rep.pk},
        **HTMX,
    )  # fmt: skip
    assert response.status_code == 200
    nxt = Activity.objects.get(subject="Send the offer")
    assert nxt.company == own_company and nxt.owner == personas.rep and nxt.is_open
    assert 'data-testid="next-todo-prompt"' not in response.content.decode()


def test_skipping_the_next_todo_is_one_get_of_the_timeline(client, personas, own_company):
    client.force_login(personas.rep)
    response = client.get(reverse("activities:timeline_panel", args=["company", own_company.pk]), **HTMX)
    assert response.status_code == 200
    assert 'data-testid="no-next-step"' in response.content.decode()
    assert not Activity.objects.exists()


def test_completing_without_htmx_leads_to_the_prefilled_full_form(client, personas, own_company):
    todo = ActivityFactory(company=own_company, owner=personas.rep)
    client.force_login(personas.rep)
    response = client.post(reverse("activities:activity_complete", args=[todo.pk]), {"version": todo.version})
    assert response.status_code == 302 and f"after={todo.pk}" in response["Location"]
    assert client.get(response["Location"]).status_code == 200


def test_completing_twice_or_with_an_old_version_is_refused_in_place(client, personas, own_company):
    todo = ActivityFactory(company=own_company, owner=personas.rep)
    client.force_login(personas.rep)
    url = reverse("activities:activity_complete", args=[todo.pk])
    data = {"version": todo.version, "card": _card(own_company)}
    assert client.post(url, data, **HTMX).status_code == 200
    again = client.post(url, data, **HTMX)
    assert again.status_code == 409
    assert client.post(url, {"version": "x", "card": _card(own_company)}, **HTMX).status_code == 422


def test_cancel_strikes_the_todo_through(client, personas, own_company):
    todo = ActivityFactory(company=own_company, owner=personas.rep, subject="Visit")
    client.force_login(personas.rep)
    response = client.post(
        reverse("activities:activity_cancel", args=[todo.pk]),
        {"version": todo.version, "card": _card(own_company)},
        **HTMX,
    )
    assert response.status_code == 200
    todo.refresh_from_db()
    assert todo.status == Activity.Status.CANCELLED
    assert "text-decoration-line-through" in response.content.decode()


def test_create_presets_the_links_and_saves_a_meeting_with_attendees(client, personas, own_company):
    person = PersonFactory(first_name="Attendee", company=own_company, owner=personas.rep)
    client.force_login(personas.rep)
    url = reverse("activities:activity_create")
    page = client.get(url, {"company": own_company.pk, "kind": "meeting"})
    assert page.status_code == 200 and "Own Archive AB" in page.content.decode()
    response = client.post(
        f"{url}?company={own_company.pk}",
        {"kind": "meeting", "meeting_category": MeetingCategory.objects.get(name="First meeting").pk,
         "subject": "First meeting at the archive", "due_at": "2030-05-04T10:00", "duration_minutes": 60,
         "company": own_company.pk, "attendee_people": [person.pk], "attendee_users": [personas.manager.pk],
         "owner": personas.rep.pk},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == own_company.get_absolute_url()
    meeting = Activity.objects.get(subject="First meeting at the archive")
    assert list(meeting.attendee_people.all()) == [person]
    assert meeting.activity_type is None and meeting.due_at.year == 2030


@pytest.mark.parametrize(
    "data,field",
    [
        ({"kind": "todo", "subject": "x", "due_at": "not a date"}, "due_at"),
        ({"kind": "todo", "subject": "x", "due_at": "2030-02-31T10:00"}, "due_at"),
        ({"kind": "meeting", "subject": "x"}, "due_at"),
        ({"kind": "todo", "subject": ""}, "subject"),
        ({"kind": "party", "subject": "x"}, "kind"),
        ({"kind": "todo", "subject": "x", "duration_minutes": "-5"}, "duration_minutes"),
    ],
)
def test_bad_input_is_refused_with_the_error_shown(client, personas, own_company, data, field):
    client.force_login(personas.rep)
    response = client.post(
        reverse("activities:activity_create"),
        {
            "activity_type": ActivityType.objects.first().pk,
            "duration_minutes": 30,
            "company": own_company.pk,
            **data,
        },
    )
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not Activity.objects.exists()


def test_someone_elses_ids_are_404_or_refused(client, personas, reps_see_only_own, own_company):
    hidden_company = CompanyFactory(name="Their Archive", owner=personas.rep_other_team)
    hidden_person = PersonFactory(first_name="Theirs", owner=personas.rep_other_team)
    theirs = ActivityFactory(company=hidden_company, owner=personas.rep_other_team)
    client.force_login(personas.rep)
    url = reverse("activities:activity_create")
    assert client.get(url, {"company": hidden_company.pk}).status_code == 404
    assert client.get(url, {"deal": "abc"}).status_code == 404
    assert client.get(reverse("activities:activity_edit", args=[theirs.pk])).status_code == 404
    assert (
        client.get(reverse("activities:timeline_panel", args=["company", hidden_company.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("activities:timeline_panel", args=["ticket", own_company.pk])).status_code == 404
    )
    mine = ActivityFactory(company=own_company, owner=personas.rep)
    response = client.post(
        reverse("activities:activity_complete", args=[mine.pk]),
        {"version": mine.version, "card": _card(hidden_company)},
        **HTMX,
    )
    assert response.status_code == 404
    # Posted links and attendees the user cannot see are refused on the form, nothing saved.
    response = client.post(
        url,
        {"kind": "todo", "activity_type": ActivityType.objects.first().pk, "subject": "Sneaky",
         "duration_minutes": 30, "company": hidden_company.pk, "attendee_people": [hidden_person.pk]},
    )  # fmt: skip
    assert response.status_code == 422
    assert {"company", "attendee_people"} <= set(response.context["form"].errors)
    assert not Activity.objects.filter(subject="Sneaky").exists()
    assert (
        client.get(reverse("activities:activity_deal_autocomplete"), {"q": "Their"}).content.count(b"<option")
        == 1
    )


@pytest.mark.parametrize("persona", ["admin", "manager", "rep", "rep_other_team", "restricted"])
def test_each_role_adds_completes_and_deletes_as_its_permissions_say(client, personas, persona):
    user = getattr(personas, persona)
    company = CompanyFactory(owner=user)
    client.force_login(user)
    todo = ActivityFactory(company=company, owner=user)
    response = client.post(
        reverse("activities:activity_complete", args=[todo.pk]),
        {"version": todo.version, "card": _card(company)},
        **HTMX,
    )
    assert response.status_code == 200
    response = client.post(
        reverse("activities:activity_create") + f"?company={company.pk}",
        {
            "quick": "1",
            "subject": "Next",
            "activity_type": todo.activity_type_id,
            "due_at": "2031-01-01T09:00",
        },
        **HTMX,
    )
    assert response.status_code == 200 and Activity.objects.filter(subject="Next", owner=user).exists()
    deletes = user.has_perm("activities.delete_activity")
    assert deletes == (persona != "restricted")
    response = client.post(reverse("activities:activity_delete", args=[todo.pk]))
    assert response.status_code == (302 if deletes else 403)
    assert Activity.objects.filter(pk=todo.pk).exists() != deletes


def test_read_only_viewer_sees_the_timeline_without_buttons(client, personas, own_company):
    todo = ActivityFactory(company=own_company, owner=personas.rep, subject="Call about boxes")
    client.force_login(personas.rep_other_team)  # sees every customer, changes only their team's
    text = client.get(own_company.get_absolute_url()).content.decode()
    assert "Call about boxes" in text
    assert reverse("activities:activity_complete", args=[todo.pk]) not in text
    complete = client.post(
        reverse("activities:activity_complete", args=[todo.pk]), {"version": todo.version}, **HTMX
    )
    assert complete.status_code == 403
    todo.refresh_from_db()
    assert todo.is_open


def test_board_cards_show_the_next_step_and_flag_open_deals_without_one(client, personas):
    rep = personas.rep
    planned = DealFactory(name="Planned deal", owner=rep)
    DealFactory(name="Drifting deal", owner=rep, pipeline=planned.pipeline)
    ActivityFactory(
        deal=planned, owner=rep, subject="Send the quote", due_at=timezone.now() + datetime.timedelta(days=2)
    )
    client.force_login(rep)
    response = client.get(reverse("opportunities:board"), {"pipeline": planned.pipeline_id, "period": "any"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "Send the quote" in text
    assert text.count('data-testid="no-next-step"') == 1


def test_board_shows_active_first_meetings_beside_the_deals(client, personas, own_company):
    first = MeetingCategory.objects.get(is_first_meeting=True)
    other = MeetingCategory.objects.get(name="Meeting")
    due = timezone.now() + datetime.timedelta(days=1)
    for subject, category in (("First visit", first), ("Regular visit", other)):
        Activity.objects.create(
            kind="meeting", meeting_category=category, subject=subject, due_at=due,
            company=own_company, owner=personas.rep,
        )  # fmt: skip
    client.force_login(personas.rep)
    text = client.get(reverse("opportunities:board")).content.decode()
    assert 'data-testid="first-meetings"' in text
    assert "First visit" in text and "Regular visit" not in text


def test_inline_next_todo_with_a_bad_date_is_refused_in_place(client, personas, own_company):
    client.force_login(personas.rep)
    response = client.post(
        reverse("activities:activity_create") + f"?company={own_company.pk}",
        {
            "quick": "1",
            "subject": "Next",
            "activity_type": ActivityType.objects.first().pk,
            "due_at": "31/31/2031",
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert (
        'data-testid="timeline"' in response.content.decode()
        and "invalid-feedback" in response.content.decode()
    )
    assert not Activity.objects.exists()
