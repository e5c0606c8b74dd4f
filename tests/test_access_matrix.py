"""Every URL × every role: see tests/access_matrix.py for the classification.

Seed 003's roles are proven at the end: a Manager opens every record (their teams' only with the
org setting), a Normal user exports and opens reports only when granted (to them, through a
group, or through a team's permission group), and a team's permission group reaches its members
and managers."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import override_settings
from django.urls import reverse

from contacts.models import Company
from crm.models import Role
from opportunities.models import CriterionConfirmation, DealContact, Pipeline, StageCriterion
from tests.access_matrix import (
    PUBLIC,
    ROUTES,
    SIGNED_IN,
    SIGNED_IN_POST,
    TOKEN_ROUTES,
    ListRoute,
    ObjectRoute,
    export_and_report_routes,
    iter_routes,
    object_route_mismatches,
    refused_post_problems,
    route_url,
    unclassified_routes,
)
from tests.factories import UserFactory
from tests.imports.records import import_jobs_by_owner
from tests.marketing.core.records import campaigns_by_owner, plans_by_owner
from tests.marketing.mailings.records import email_campaigns_by_owner, segments_by_owner
from tests.marketing.webforms.records import webforms_by_owner
from tests.support.knowledge.records import articles_by_owner  # support: knowledge base
from tests.support.sla.records import contracts_by_owner  # support: SLA, contracts, workload and reports
from tests.support.tickets.records import tickets_by_owner

OBJECT_ROUTES = {name: route for name, route in ROUTES.items() if isinstance(route, ObjectRoute)}
PERSONAS = ["admin", "manager", "rep", "rep_other_team", "restricted"]


@pytest.fixture
def records(
    companies_by_owner,
    people_by_owner,
    leads_by_owner,
    documents_by_owner,
    deals_by_owner,
    quotes_and_orders,
    activities_by_owner,
    personas,
):
    """For each kind of record an ObjectRoute names: one record per kind of owner."""
    return {
        "company": companies_by_owner,
        "person": people_by_owner,
        "lead": leads_by_owner,
        "document": documents_by_owner,
        "deal": deals_by_owner,
        "quote": quotes_and_orders["quote"],
        "order": quotes_and_orders["order"],
        "activity": activities_by_owner,
        "import_job": import_jobs_by_owner(personas),
        # marketing: plans, campaigns, segments, scoring and mail settings
        "plan": plans_by_owner(personas),
        "campaign": campaigns_by_owner(personas),
        # marketing: e-mail campaigns
        "segment": segments_by_owner(personas),
        "email_campaign": email_campaigns_by_owner(personas),
        # marketing: web forms and website tracking
        "webform": webforms_by_owner(personas),
        # support: tickets
        "ticket": tickets_by_owner(personas),
        # support: knowledge base
        "article": articles_by_owner(personas),
        # support: SLA, contracts, workload and reports
        "contract": contracts_by_owner(personas),
    }


def test_every_route_is_classified():
    assert unclassified_routes() == []


def test_every_classified_route_exists():
    existing = {name for name, _route, _takes in iter_routes()}
    assert set(ROUTES) - existing == set()


@pytest.mark.parametrize("name", [name for name, kind in ROUTES.items() if kind != PUBLIC])
def test_private_routes_send_anonymous_users_to_login(client, records, name):
    route = ROUTES[name]
    if isinstance(route, ObjectRoute):
        url = route_url(name, route, records[route.record]["rep"])
    else:
        url = reverse(name, kwargs=route.kwargs if isinstance(route, ListRoute) else {})
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", [name for name, kind in ROUTES.items() if kind == PUBLIC])
def test_public_routes_answer_anonymous_users(client, db, name):
    if name in TOKEN_ROUTES:
        kwargs, expected = TOKEN_ROUTES[name]
        assert client.get(reverse(name, kwargs=kwargs)).status_code == expected
        return
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", [name for name, kind in ROUTES.items() if kind == SIGNED_IN])
@pytest.mark.parametrize("persona", PERSONAS)
def test_signed_in_routes_open_for_every_role(client, personas, name, persona):
    client.force_login(getattr(personas, persona))
    assert client.get(reverse(name)).status_code == 200


@pytest.fixture
def sms_enabled_pipelines(db):
    """The board's batch SMS also needs SMS enabled on the pipeline (a setting, not a permission:
    tests/opportunities/test_board_seed_rules.py checks it); here the permission alone decides."""
    Pipeline.objects.update(sms_enabled=True)


@pytest.mark.parametrize("name", [name for name, kind in ROUTES.items() if isinstance(kind, ListRoute)])
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_guarded_routes_follow_the_role_permissions(
    client, personas, name, persona, sms_enabled_pipelines
):
    route = ROUTES[name]
    user = getattr(personas, persona)
    client.force_login(user)
    expected = 200 if route.permission is None or user.has_perm(route.permission) else 403
    assert client.get(reverse(name, kwargs=route.kwargs)).status_code == expected


@pytest.mark.parametrize("name", [name for name, kind in ROUTES.items() if kind == SIGNED_IN_POST])
@pytest.mark.parametrize("persona", PERSONAS)
def test_post_only_routes_refuse_get_for_every_role(client, personas, name, persona):
    client.force_login(getattr(personas, persona))
    assert client.get(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", sorted(OBJECT_ROUTES))
def test_object_routes_follow_the_visibility_policy(client, personas, records, name):
    route = OBJECT_ROUTES[name]
    users = [getattr(personas, persona) for persona in PERSONAS]
    assert object_route_mismatches(client, name, route, users, records[route.record]) == []


@pytest.fixture
def records_with_related(records, personas, people_by_owner):
    """`records`, each deal also with a contact and a confirmed checklist criterion: a POST that
    slips past the access check would change those rows too."""
    for key, deal in records["deal"].items():
        DealContact.objects.create(deal=deal, person=people_by_owner[key])
        criterion = StageCriterion.objects.create(stage=deal.stage, text=f"Checked for {key}")
        CriterionConfirmation.objects.create(deal=deal, criterion=criterion, confirmed_by=personas.admin)
    return records


def hijacking_data(records) -> dict:
    """What a refused POST sends: a valid-looking value for every route's form."""
    deal = records["deal"]["admin"]
    return {
        "name": "Hijacked",
        "last_name": "Hijacked",
        "description": "Hijacked line",
        "quantity": "2",
        "unit_price": "5",
        "person": records["person"]["admin"].pk,
        "stage": deal.pipeline.stages.order_by("position").first().pk,
        "pipeline": deal.pipeline_id,
        "duplicate": records["company"]["admin"].pk,
        "status": "accepted",
    }


@pytest.mark.parametrize(
    "name", sorted(name for name, route in OBJECT_ROUTES.items() if route.needs == "edit")
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_posting_to_records_one_may_not_edit_changes_nothing(
    client, personas, records_with_related, name, persona
):
    route = OBJECT_ROUTES[name]
    records = records_with_related
    user = getattr(personas, persona)
    data = hijacking_data(records)
    assert refused_post_problems(client, name, route, user, records[route.record], data) == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_django_admin_is_for_administrators_only(client, personas, companies_by_owner, persona):
    client.force_login(getattr(personas, persona))
    urls = [
        reverse("admin:index"),
        reverse("admin:contacts_company_changelist"),
        reverse("admin:crm_organisationsettings_changelist"),
        reverse("admin:contacts_company_change", args=[companies_by_owner["rep"].pk]),
    ]
    for url in urls:
        response = client.get(url)
        if persona == "admin":
            assert response.status_code == 200, url
        else:
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login"))


def test_admin_login_refuses_non_administrators(client, personas):
    response = client.post(
        reverse("admin:login"), {"username": "manager", "password": "correct horse battery"}, follow=True
    )
    assert "Only administrators may open the settings" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


@override_settings(ROOT_URLCONF="tests.leaky_urls")
def test_matrix_catches_a_view_that_skips_the_access_check(client, personas, companies_by_owner):
    assert any("leaky_print" in problem for problem in unclassified_routes())
    users = [personas.restricted]
    mismatches = object_route_mismatches(
        client, "leaky_print", ObjectRoute("company", "view"), users, companies_by_owner
    )
    assert "GET leaky_print as restricted on rep's: 200, expected 404" in mismatches
    assert Company.objects.count() == len(companies_by_owner)


# -- Seed 003's roles: a Manager sees every record; exports and reports only when granted ---------

VIEW_ROUTES = {
    name: route for name, route in OBJECT_ROUTES.items() if route.needs == "view" and route.method == "GET"
}
EXPORTS_AND_REPORTS = export_and_report_routes()
MANAGERS_TEAM = {"manager", "rep", "restricted", "unassigned"}  # North: managed by `manager`


def test_every_export_and_the_report_are_behind_their_permission():
    assert {
        "contacts:company_export",
        "contacts:person_export",
        "leads:lead_export",
        "opportunities:deal_export",
        "opportunities:board_export",
        "opportunities:targets",
    } <= set(EXPORTS_AND_REPORTS)


@pytest.mark.parametrize("name", sorted(VIEW_ROUTES))
def test_a_manager_opens_every_record_including_another_teams(client, personas, records, name):
    route = VIEW_ROUTES[name]
    client.force_login(personas.manager)
    statuses = {
        key: client.get(route_url(name, route, record)).status_code
        for key, record in records[route.record].items()
    }
    assert "rep_other_team" in statuses
    assert set(statuses.values()) == {200}, statuses


@pytest.mark.parametrize("name", sorted(VIEW_ROUTES))
def test_with_the_org_setting_a_manager_opens_only_their_teams_records(
    client, personas, records, managers_see_only_their_teams, name
):
    route = VIEW_ROUTES[name]
    client.force_login(personas.manager)
    statuses = {
        key: client.get(route_url(name, route, record)).status_code
        for key, record in records[route.record].items()
    }
    assert {key for key, status in statuses.items() if status == 200} == MANAGERS_TEAM & set(statuses)
    assert {key for key, status in statuses.items() if status == 404} == set(statuses) - MANAGERS_TEAM


@pytest.mark.parametrize("name", sorted(OBJECT_ROUTES))
def test_object_routes_follow_the_policy_for_a_manager_narrowed_to_their_teams(
    client, personas, records, managers_see_only_their_teams, name
):
    route = OBJECT_ROUTES[name]
    assert object_route_mismatches(client, name, route, [personas.manager], records[route.record]) == []


def permission_named(name: str) -> Permission:
    app_label, codename = name.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def grant(personas, permission: Permission, how: str) -> None:
    """Give the Normal user `rep` the permission: as their own, through a group of theirs that is no
    role, or through a permission group of their team North."""
    if how == "to the user":
        personas.rep.user_permissions.add(permission)
        return
    group = Group.objects.create(name="Granted")
    group.permissions.add(permission)
    if how == "through a group":
        personas.rep.groups.add(group)
    else:
        personas.north.permission_groups.add(group)


@pytest.mark.parametrize("name", sorted(EXPORTS_AND_REPORTS))
@pytest.mark.parametrize("how", ["to the user", "through a group", "through their team"])
def test_a_normal_user_exports_and_opens_reports_only_when_granted(client, personas, name, how):
    route = EXPORTS_AND_REPORTS[name]
    url = reverse(name, kwargs=route.kwargs)
    client.force_login(personas.rep)
    assert client.get(url).status_code == 403
    grant(personas, permission_named(route.permission), how)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", sorted(EXPORTS_AND_REPORTS))
def test_a_teams_permission_group_reaches_its_members_and_managers_only(client, personas, name):
    route = EXPORTS_AND_REPORTS[name]
    url = reverse(name, kwargs=route.kwargs)
    # North: rep and restricted are members, a Normal user leads it with manager; rep_other_team is
    # in South.
    team_lead = UserFactory(username="team_lead", role=Role.NORMAL_USER)
    personas.north.managers.add(team_lead)
    users = {"rep": personas.rep, "restricted": personas.restricted, "team_lead": team_lead}
    users["rep_other_team"] = personas.rep_other_team
    before = {}
    for key, user in users.items():
        client.force_login(user)
        before[key] = client.get(url).status_code
    grant(personas, permission_named(route.permission), "through their team")
    after = {}
    for key, user in users.items():
        client.force_login(user)
        after[key] = client.get(url).status_code
    assert set(before.values()) == {403}
    assert after == {"rep": 200, "restricted": 200, "team_lead": 200, "rep_other_team": 403}
