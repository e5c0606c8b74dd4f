"""The import routes against the access policy, with the matrix's own checker (until the matrix's
`records` fixture holds "import_job", see tests/imports/records.py)."""

import pytest

from tests.access_matrix import ROUTES, ObjectRoute, object_route_mismatches
from tests.imports.records import import_jobs_by_owner

IMPORT_ROUTES = {
    name: route
    for name, route in ROUTES.items()
    if name.startswith("imports:") and isinstance(route, ObjectRoute)
}
PERSONAS = ["admin", "manager", "rep", "rep_other_team", "restricted"]


def test_every_import_object_route_is_checked_here():
    assert len(IMPORT_ROUTES) == 6


@pytest.mark.parametrize("name", sorted(IMPORT_ROUTES))
def test_import_routes_follow_the_policy(client, personas, name):
    jobs = import_jobs_by_owner(personas)
    users = [getattr(personas, persona) for persona in PERSONAS]
    assert object_route_mismatches(client, name, IMPORT_ROUTES[name], users, jobs) == []


@pytest.mark.parametrize("name", sorted(IMPORT_ROUTES))
def test_import_routes_follow_the_policy_for_a_narrowed_manager(
    client, personas, managers_see_only_their_teams, name
):
    jobs = import_jobs_by_owner(personas)
    assert object_route_mismatches(client, name, IMPORT_ROUTES[name], [personas.manager], jobs) == []
