"""The role backend reads the user's role and permissions in fewer queries, with the same answers
as Django's ModelBackend, plus the permissions of the user's teams' permission groups."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.forms import modelform_factory

from crm import lookup_cache
from crm.auth_backends import RoleBackend
from crm.models import Role, Team, User
from tests.factories import UserFactory


def permission(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.MANAGER, Role.NORMAL_USER, Role.RESTRICTED, None])
def test_get_user_brings_the_role_and_one_query_brings_the_permissions(db, role, django_assert_num_queries):
    user = UserFactory(role=role)
    user.groups.add(Group.objects.create(name="Not a role"))
    user.user_permissions.add(permission("export_company"))
    Group.objects.get_or_create(name=Role.RESTRICTED.value)[0].permissions.add(permission("view_company"))

    # Outside a request: the generations, then the user with its role groups.
    with django_assert_num_queries(2):
        loaded = RoleBackend().get_user(user.pk)
        assert loaded.role == (role or Role.RESTRICTED)
    # Kept by the process until a user or session is written: only the generations are read.
    with django_assert_num_queries(1):
        assert RoleBackend().get_user(user.pk).role == loaded.role
    expected = ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
    # Outside a request: the lookup generation, then the permissions, kept on the user object.
    with django_assert_num_queries(2):
        assert RoleBackend().get_all_permissions(loaded) == expected
        assert RoleBackend().get_all_permissions(loaded) == expected  # cached for the request
    assert "contacts.export_company" in expected
    # The next request's user object: the process kept them (crm.lookup_cache) until a
    # permission, group or membership changes.
    next_request_user = RoleBackend().get_user(user.pk)
    with django_assert_num_queries(1):
        assert RoleBackend().get_all_permissions(next_request_user) == expected


def test_superusers_and_inactive_users(db):
    superuser = UserFactory(is_superuser=True)
    assert RoleBackend().get_all_permissions(
        RoleBackend().get_user(superuser.pk)
    ) == ModelBackend().get_all_permissions(User.objects.get(pk=superuser.pk))
    inactive = UserFactory(role=Role.NORMAL_USER, is_active=False)
    assert RoleBackend().get_user(inactive.pk) is None
    assert RoleBackend().get_user(10**9) is None


# -- Teams' permission groups (seed 002: teams may have different permissions) -------------------


def loaded(user) -> User:
    """The user as a request loads them."""
    return RoleBackend().get_user(user.pk)


def test_a_teams_permission_group_reaches_its_members_and_managers(personas, django_assert_num_queries):
    exports = Group.objects.create(name="Exports")
    exports.permissions.add(permission("export_company"))
    personas.north.permission_groups.add(exports)
    team_lead = UserFactory(username="team_lead", role=Role.NORMAL_USER)  # no export of their own
    personas.north.managers.add(team_lead)

    for member in (team_lead, personas.rep, personas.restricted):
        assert loaded(member).has_perm("contacts.export_company"), member
    assert not loaded(personas.rep_other_team).has_perm("contacts.export_company")
    rep = loaded(personas.rep)
    lookup_cache.clear()
    with django_assert_num_queries(2):  # the lookup generation, then the permissions: still one query
        assert "contacts.export_company" in RoleBackend().get_all_permissions(rep)


def test_a_team_gives_permissions_never_a_role(personas):
    manager_group = Group.objects.get(name=Role.MANAGER.value)
    personas.south.permission_groups.add(manager_group)  # not offered in admin; added by code
    rep_other_team = loaded(personas.rep_other_team)
    assert rep_other_team.role == Role.NORMAL_USER
    assert rep_other_team.has_perm("contacts.export_company")  # the Manager group's permissions


def test_admin_offers_no_role_group_as_a_teams_permission_group(db):
    Group.objects.create(name="Marketing")
    offered = modelform_factory(Team, fields=["permission_groups"])().fields["permission_groups"].queryset
    assert set(offered.values_list("name", flat=True)) == {"Marketing"}


def test_leaving_the_team_takes_its_permissions_away(personas):
    exports = Group.objects.create(name="Exports")
    exports.permissions.add(permission("export_company"))
    personas.north.permission_groups.add(exports)
    assert loaded(personas.rep).has_perm("contacts.export_company")
    personas.north.members.remove(personas.rep)
    assert not loaded(personas.rep).has_perm("contacts.export_company")
