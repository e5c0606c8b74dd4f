"""The role backend reads the user's role and permissions in fewer queries, with the same answers
as Django's ModelBackend."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission

from crm.auth_backends import RoleBackend
from crm.models import Role, User
from tests.factories import UserFactory


def permission(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.MANAGER, Role.SALES_REP, Role.RESTRICTED, None])
def test_get_user_brings_the_role_and_one_query_brings_the_permissions(db, role, django_assert_num_queries):
    user = UserFactory(role=role)
    user.groups.add(Group.objects.create(name="Not a role"))
    user.user_permissions.add(permission("export_company"))
    Group.objects.get_or_create(name=Role.RESTRICTED.value)[0].permissions.add(permission("view_company"))

    with django_assert_num_queries(1):
        loaded = RoleBackend().get_user(user.pk)
        assert loaded.role == (role or Role.RESTRICTED)
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
    inactive = UserFactory(role=Role.SALES_REP, is_active=False)
    assert RoleBackend().get_user(inactive.pk) is None
    assert RoleBackend().get_user(10**9) is None
