"""Edges of crm.access that the mutation run (make mutation) showed no test held: users as the
database returns them, inactive accounts, and people who are both member and manager of a team,
or records both owned by a teammate and filed under the team."""

import pytest
from django.contrib.auth.models import AnonymousUser

from contacts.models import Company
from crm import access
from crm.models import Role, Team, User
from tests.factories import CompanyFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def as_stored(user: User) -> User:
    """The user as a request has it: read from the database, with none of a factory's leftovers."""
    return User.objects.get(pk=user.pk)


def visible_companies(user) -> set[str]:
    return set(access.visible_to(Company.objects.all(), user).values_list("name", flat=True))


def editable_companies(user) -> set[str]:
    return set(access.editable_by(Company.objects.all(), user).values_list("name", flat=True))


@pytest.mark.parametrize(
    ("persona", "narrowed", "oversees"),
    [
        ("admin", False, True),
        ("admin", True, True),
        ("manager", False, True),
        ("manager", True, False),
        ("rep", False, False),
        ("restricted", False, False),
    ],
)
def test_who_oversees_every_team_as_the_database_returns_the_user(personas, persona, narrowed, oversees):
    if narrowed:
        settings_row = access.OrganisationSettings.load()
        settings_row.managers_see_only_their_teams = True
        settings_row.save()
    user = as_stored(getattr(personas, persona))

    assert access.oversees_every_team(user) is oversees
    assert (set(access.teams_to_file_under(user)) == set(Team.objects.all())) is (
        oversees or persona == "admin"
    )


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("admin", {"Own", "Teammate", "Unassigned", "Other team"}),
        ("manager", {"Own", "Teammate", "Unassigned", "Other team"}),
        ("rep", {"Own", "Teammate", "Unassigned", "Other team"}),
        ("restricted", {"Own", "Unassigned"}),
    ],
)
def test_what_each_role_sees_as_the_database_returns_the_user(personas, persona, sees):
    user = as_stored(getattr(personas, persona))
    CompanyFactory(name="Own", owner=user)
    CompanyFactory(name="Teammate", owner=personas.rep if persona != "rep" else personas.restricted)
    CompanyFactory(name="Unassigned", owner=None)
    CompanyFactory(name="Other team", owner=personas.rep_other_team)

    assert visible_companies(user) == sees


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.MANAGER, Role.NORMAL_USER, Role.RESTRICTED])
def test_an_inactive_account_sees_edits_and_files_nothing(personas, role):
    team = TeamFactory(name="East")
    user = UserFactory(role=role, is_active=False)
    team.members.add(user)
    team.managers.add(user)
    CompanyFactory(name="Theirs", owner=user)
    CompanyFactory(name="Unassigned", owner=None)
    user = as_stored(user)

    assert visible_companies(user) == set()
    assert editable_companies(user) == set()
    assert access.oversees_every_team(user) is False
    assert list(access.teams_to_file_under(user)) == []
    assert list(access.visible_users(user)) == []
    assert list(access.visible_teams(user)) == []


def test_an_anonymous_user_sees_edits_and_files_nothing(personas):
    CompanyFactory(name="Unassigned", owner=None)
    anonymous = AnonymousUser()

    assert access.visibility_scope(anonymous) == access.NOTHING
    assert access.edit_scope(anonymous) == access.NOTHING
    assert access.oversees_every_team(anonymous) is False
    assert list(access.teams_to_file_under(anonymous)) == []


@pytest.fixture
def narrowed_manager(personas, managers_see_only_their_teams):
    """A Manager narrowed to their teams who is also a member of the team they manage."""
    personas.north.members.add(personas.manager)
    return as_stored(personas.manager)


def test_a_narrowed_manager_who_is_also_a_member_of_their_team_sees_its_records(personas, narrowed_manager):
    CompanyFactory(name="Teammate's", owner=personas.rep)
    CompanyFactory(name="Filed under North", owner=None, team=personas.north)
    CompanyFactory(name="Other team's", owner=personas.rep_other_team)

    assert visible_companies(narrowed_manager) == {"Teammate's", "Filed under North"}
    assert narrowed_manager.pk in set(access.visible_users(narrowed_manager).values_list("pk", flat=True))
    assert set(access.teams_to_file_under(narrowed_manager)) == {personas.north}


def test_a_teammate_who_is_both_member_and_manager_of_the_team_counts_once(
    personas, managers_see_only_their_teams
):
    co_lead = UserFactory(username="co_lead", role=Role.NORMAL_USER)
    personas.north.members.add(co_lead)
    personas.north.managers.add(co_lead)
    CompanyFactory(name="Co-lead's", owner=co_lead)

    manager = as_stored(personas.manager)
    assert "Co-lead's" in visible_companies(manager)
    assert co_lead in set(access.visible_users(manager))


def test_a_record_owned_by_a_teammate_and_filed_under_the_team_is_seen_once(
    personas, managers_see_only_their_teams
):
    CompanyFactory(name="Both", owner=personas.restricted, team=personas.north)
    CompanyFactory(name="Other team's", owner=personas.rep_other_team, team=personas.south)

    assert visible_companies(as_stored(personas.manager)) == {"Both"}
    # A rep edits their own, the unassigned and their team's records (owned or filed there).
    assert editable_companies(as_stored(personas.rep)) == {"Both"}


def test_own_and_unassigned_records_are_what_a_narrowed_rep_sees_and_edits(personas, reps_see_only_own):
    rep = as_stored(personas.rep)
    CompanyFactory(name="Own", owner=rep)
    CompanyFactory(name="Unassigned", owner=None)
    CompanyFactory(name="Teammate's", owner=personas.restricted, team=personas.north)

    assert visible_companies(rep) == {"Own", "Unassigned"}
    assert editable_companies(rep) == {"Own", "Unassigned"}


def test_a_team_whose_only_member_is_also_its_only_manager_is_theirs(personas, managers_see_only_their_teams):
    solo = TeamFactory(name="Solo")
    solo.members.add(personas.manager)
    solo.managers.add(personas.manager)
    CompanyFactory(name="Filed under Solo", owner=None, team=solo)

    manager = as_stored(personas.manager)
    assert "Filed under Solo" in visible_companies(manager)
    assert solo in set(access.visible_teams(manager))
