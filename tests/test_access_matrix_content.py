"""The access matrix, by content: which records each role finds in lists, autocompletes, exports
and on the board, and that no page or export of the matrix names a record hidden from them.

One data set (tests/access_matrix.py, build_content_records) is built for the module and read
under each org setting that narrows a role. Its records carry unique name tokens and link to
records of other owners, so a visible deal has a hidden company, contacts and history for every
narrowed role."""

import pytest

from crm.models import OrganisationSettings, User
from tests.access_matrix import (
    CONTENT_OWNERS,
    CONTENT_ROUTES,
    NOT_RECORD_LISTS,
    ROUTES,
    content_check_urls,
    content_world,
    hidden_name_problems,
    listed_records_problems,
)

PERSONAS = ["admin", "manager", "rep", "rep_other_team", "restricted"]
# The org settings that narrow what a role sees, each on and off.
ORG_SETTINGS = {
    "default": {},
    "reps see only their own customers": {"reps_see_only_own_customers": True},
    "managers see only their teams": {"managers_see_only_their_teams": True},
    "both": {"reps_see_only_own_customers": True, "managers_see_only_their_teams": True},
}
# Who sees what, worked out by hand from the policy in crm/access.py: the checks compare pages
# with crm.access, and this makes sure that the data set holds records on both sides of every
# narrowed view (team-filed ones included).
NORTH = {"manager", "rep", "restricted", "unassigned", "north_team"}

world = pytest.fixture(scope="module")(content_world)


def expected_owner_keys(persona: str, setting: str) -> set[str]:
    narrowed = ORG_SETTINGS[setting]
    if persona == "restricted" or (persona.startswith("rep") and narrowed.get("reps_see_only_own_customers")):
        # rep_other_team owns the records filed under North
        return {persona, "unassigned"} | ({"north_team"} if persona == "rep_other_team" else set())
    if persona == "manager" and narrowed.get("managers_see_only_their_teams"):
        return NORTH
    return set(CONTENT_OWNERS)


@pytest.fixture(params=list(ORG_SETTINGS))
def org_setting(request, world, db):
    settings_row = OrganisationSettings.load()
    for name, value in ORG_SETTINGS[request.param].items():
        setattr(settings_row, name, value)
    settings_row.save()
    return request.param


def users(world) -> list[User]:
    """The personas read afresh: a user object keeps the org settings it first read."""
    return [User.objects.get(pk=getattr(world.personas, persona).pk) for persona in PERSONAS]


def test_the_data_set_has_visible_and_hidden_records_of_every_kind_for_each_role(world, org_setting):
    for persona, user in zip(PERSONAS, users(world), strict=True):
        for kind, records in world.records.by_kind.items():
            visible = world.records.visible(kind, user)
            seen = {key for key, record in records.items() if record.pk in visible}
            assert seen == expected_owner_keys(persona, org_setting), (persona, kind)


def test_every_list_autocomplete_and_export_has_its_content_checked():
    listing = {
        name
        for name in ROUTES
        if name.endswith(("_list", "_autocomplete", "_export")) or name == "opportunities:board"
    }
    assert listing - set(CONTENT_ROUTES) - set(NOT_RECORD_LISTS) == set()


def test_lists_autocompletes_exports_and_the_board_show_exactly_the_records_each_role_sees(
    client, world, org_setting
):
    everyone = users(world)
    problems = [
        problem
        for name, listed in CONTENT_ROUTES.items()
        for problem in listed_records_problems(client, name, listed, everyone, world.records)
    ]
    assert problems == [], "\n".join(problems)


def test_no_page_or_export_names_a_record_hidden_from_the_viewer(client, world, org_setting):
    problems = []
    for persona, user in zip(PERSONAS, users(world), strict=True):
        hidden = world.records.hidden_names(user)
        if not hidden:
            continue  # roles that see every record have no hidden name to find
        if persona == "restricted" and org_setting != "default":
            continue  # no setting changes what a Restricted user sees: read once, by default
        problems += hidden_name_problems(client, user, content_check_urls(user, world.records), hidden)
    assert problems == [], "\n".join(problems)
