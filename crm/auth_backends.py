"""Authentication backend that signs users in by username or e-mail address, gives the
Administrator role every permission and team members their team's permission groups."""

import copy
from functools import cache

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef

from crm import lookup_cache
from crm.models import Role, Team, User


@cache
def _users_with_their_role():
    """Users, each with the names of their role groups (User.role reads them): built once."""
    role_groups = Group.objects.filter(user=OuterRef("pk"), name__in=Role.values).values("name")
    return User._default_manager.annotate(role_group_names=ArraySubquery(role_groups))


@cache
def _permissions_sql() -> str:
    """A user's permissions as (app label, codename) rows: their own, their groups', and those of
    the permission groups of the teams they belong to or manage (seed 002: teams may have
    different permissions)."""
    quote = connection.ops.quote_name

    def table(model) -> str:
        return quote(model._meta.db_table)

    def column(model, field: str) -> str:
        return quote(model._meta.get_field(field).column)

    own, member, granted = User.user_permissions.through, User.groups.through, Group.permissions.through
    team_groups, team_members, team_managers = (
        Team.permission_groups.through,
        Team.members.through,
        Team.managers.through,
    )
    # Only quoted table and column names are put in the text; the user id is a parameter.
    return (
        f"SELECT ct.{column(ContentType, 'app_label')}, p.{column(Permission, 'codename')} "  # noqa: S608
        f"FROM {table(Permission)} p JOIN {table(ContentType)} ct "
        f"ON ct.{column(ContentType, 'id')} = p.{column(Permission, 'content_type')} "
        f"WHERE p.{column(Permission, 'id')} IN ("
        f"SELECT {column(own, 'permission')} FROM {table(own)} WHERE {column(own, 'user')} = %(user)s "
        f"UNION SELECT {column(granted, 'permission')} FROM {table(granted)} "
        f"WHERE {column(granted, 'group')} IN ("
        f"SELECT {column(member, 'group')} FROM {table(member)} WHERE {column(member, 'user')} = %(user)s "
        f"UNION SELECT {column(team_groups, 'group')} FROM {table(team_groups)} "
        f"WHERE {column(team_groups, 'team')} IN ("
        f"SELECT {column(team_members, 'team')} FROM {table(team_members)} "
        f"WHERE {column(team_members, 'user')} = %(user)s "
        f"UNION SELECT {column(team_managers, 'team')} FROM {table(team_managers)} "
        f"WHERE {column(team_managers, 'user')} = %(user)s)))"
    )


def _read_permissions(user) -> set[str]:
    if user.is_superuser:
        rows = Permission.objects.values_list("content_type__app_label", "codename")
    else:
        with connection.cursor() as cursor:
            cursor.execute(_permissions_sql(), {"user": user.pk})
            rows = cursor.fetchall()
    return {f"{app_label}.{codename}" for app_label, codename in rows}


class RoleBackend(ModelBackend):
    """Model permissions from the role groups, the user's own and their teams' permission groups;
    Administrators hold all of them.

    The Administrator group therefore needs no permission rows, and permissions that later
    apps add reach administrators without a data migration. A team's permission groups give its
    members and managers permissions, never a role (User.role reads the user's own groups).

    Every page loads its user through get_user(), asks for the role and, for the buttons it
    shows, for permissions: the role's group names come with the user row (one query, not two),
    and the permissions, the user's own, their groups' and their teams' groups', in one prepared
    query, not several ORM queries (the ORM spent longer building them than PostgreSQL answering
    them).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        """Sign in by username, or (seed 003) by e-mail address when it names exactly one user.

        An address that is nobody's, or several users', fails like a wrong password, after the
        same password hashing, so the answer tells nothing about which addresses exist. A
        username wins over an address (a username may contain "@"). django-axes sees every
        failure under the name typed (AxesStandaloneBackend and the user_login_failed signal)."""
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None or "@" not in username:
            return super().authenticate(request, username=username, password=password, **kwargs)
        if User._default_manager.filter(username=username).exists():
            return super().authenticate(request, username=username, password=password, **kwargs)
        matches = list(User._default_manager.filter(email__iexact=username.strip())[:2])
        if len(matches) != 1:
            User().set_password(password)  # the time a real check takes (Django's ModelBackend does so)
            return None
        user = matches[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        # Kept per process until a user or a session is written (crm.lookup_cache): a page
        # needs its user on every request.
        kept = lookup_cache.cached_identity(
            ("user", user_id), lambda: _users_with_their_role().filter(pk=user_id).first()
        )
        if kept is None:
            return None
        # Each request its own instance: a request sets attributes on its user (_perm_cache…).
        user = copy.copy(kept)
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            # Kept per process until a permission, group, membership of a group or a team, or a
            # team's permission groups change (the tables are watched by crm.lookup_cache, see
            # crm/apps.py), so a revoked permission is gone on the next request.
            user_obj._perm_cache = lookup_cache.cached(
                ("permissions", user_obj.pk, user_obj.is_superuser),
                lambda: frozenset(_read_permissions(user_obj)),
            )
        return user_obj._perm_cache

    def has_perm(self, user_obj, perm, obj=None):
        if user_obj.is_active and getattr(user_obj, "is_administrator", False):
            return True
        return super().has_perm(user_obj, perm, obj=obj)

    def has_module_perms(self, user_obj, app_label):
        if user_obj.is_active and getattr(user_obj, "is_administrator", False):
            return True
        return super().has_module_perms(user_obj, app_label)
