"""One rule for which people and teams a user sees (crm.access.visible_users / visible_teams,
narrowed for reports by reported_users / reported_teams), followed by the board's owner and
team filters and by the sales targets' rows.

Personas (tests/conftest.py): the manager manages North; rep and restricted are North members;
rep_other_team is in South."""

import datetime

import pytest

from crm import access
from crm.models import OrganisationSettings
from opportunities.board import selectors as board
from opportunities.sales import targets
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EVERYONE = {"admin", "manager", "rep", "rep_other_team", "restricted"}
BOTH_TEAMS = {"North", "South"}
PERSONAS = sorted(EVERYONE)
SETTINGS = ["default", "reps_see_only_own", "managers_see_only_their_teams"]


@pytest.fixture(params=SETTINGS)
def setting(request, personas):
    settings_row = OrganisationSettings.load()
    settings_row.reps_see_only_own_customers = request.param == "reps_see_only_own"
    settings_row.managers_see_only_their_teams = request.param == "managers_see_only_their_teams"
    settings_row.save()
    return request.param


def expected_visible(persona: str, setting: str) -> tuple[set[str], set[str]]:
    """The users and teams of the policy table in crm/access.py, written out by hand."""
    if persona == "restricted":
        return {"restricted"}, {"North"}
    if persona == "manager" and setting == "managers_see_only_their_teams":
        return {"manager", "rep", "restricted"}, {"North"}
    if persona.startswith("rep") and setting == "reps_see_only_own":
        return {persona}, {"North" if persona == "rep" else "South"}
    return EVERYONE, BOTH_TEAMS


def expected_reported(persona: str, setting: str) -> tuple[set[str], set[str]]:
    if persona in ("admin", "manager"):
        return expected_visible(persona, setting)
    return {persona}, set()


def names(users) -> set[str]:
    return {user.username for user in users}


def team_names(teams) -> set[str]:
    return {team.name for team in teams}


@pytest.mark.parametrize("persona", PERSONAS)
def test_visible_users_and_teams_follow_role_and_setting(personas, setting, persona):
    user = getattr(personas, persona)
    users, teams = expected_visible(persona, setting)
    assert names(access.visible_users(user)) == users
    assert team_names(access.visible_teams(user)) == teams


@pytest.mark.parametrize("persona", PERSONAS)
def test_reports_show_their_sellers_and_teams_by_role_and_setting(personas, setting, persona):
    user = getattr(personas, persona)
    users, teams = expected_reported(persona, setting)
    assert names(access.reported_users(user)) == users
    assert team_names(access.reported_teams(user)) == teams


def test_inactive_users_are_not_offered(personas):
    UserFactory(username="gone", is_active=False)
    assert "gone" not in names(access.visible_users(personas.admin))


def test_a_narrowed_manager_sees_every_manager_and_member_of_their_teams(personas):
    co_manager = UserFactory(username="co_manager", role=personas.manager.role)
    personas.north.managers.add(co_manager)
    settings_row = OrganisationSettings.load()
    settings_row.managers_see_only_their_teams = True
    settings_row.save()
    assert names(access.visible_users(personas.manager)) == {"manager", "co_manager", "rep", "restricted"}


def test_an_inactive_user_sees_nobody(personas):
    personas.admin.is_active = False
    assert not access.visible_users(personas.admin).exists()
    assert not access.visible_teams(personas.admin).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_boards_owner_and_team_filters_follow_the_rule(personas, setting, persona):
    user = getattr(personas, persona)
    users, teams = expected_visible(persona, setting)
    assert names(board.owner_choices(user)) == users
    assert team_names(board.team_choices(user)) == teams


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_sales_targets_rows_follow_the_rule(personas, setting, persona):
    user = getattr(personas, persona)
    users, teams = expected_reported(persona, setting)
    rows = targets.target_comparison(user, targets.Period(datetime.date(2026, 3, 1)))
    assert {row.user.username for row in rows if row.user} == users
    assert {row.team.name for row in rows if row.team} == teams
