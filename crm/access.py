"""The visibility policy: the one place that decides who sees and who edits which record.

Every owned record has an owner (its responsible user) and optionally a team. The roles are
the MiniCRM seed's four levels (Role):

=============  ===========================================  =====================================
role           sees                                         edits
=============  ===========================================  =====================================
Administrator  everything                                   everything
Manager        everything; with the org setting "managers   the same
               see only their teams": own, unassigned,
               owned by a member of one of their teams, or
               filed under one of them
Normal user    everything; with the org setting "reps see   own, unassigned, and their teams'
(Sales rep)    only their own customers" (seed 001's CRM    records (within what they see)
               mode): own + unassigned
Restricted     own + unassigned                             the same
=============  ===========================================  =====================================

"Their teams" are the teams a user manages or belongs to. Inactive and anonymous users
see nothing. Records hidden from a user answer 404, visible but read-only ones 403.

Which people and teams a user sees (the board's owner and team filters) follows from the same
table: `visible_users` / `visible_teams`; reports narrow them further (`reported_users` /
`reported_teams`: a Normal user's report is their own).

What a user may *do* with what they see (export, open reports, delete…) is a Django permission
(`require_permission`): their role group's, their own, and their teams' permission groups'
(crm.auth_backends). Managers hold the export and report permissions; Normal users and
Restricted users only when granted.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.shortcuts import get_object_or_404

from crm.models import OrganisationSettings, Role, Team, User

NOTHING = Q(pk__in=[])


def _org_settings(user) -> OrganisationSettings:
    """The org-wide settings, read once per user object (request.user lives for one request)."""
    if not hasattr(user, "_org_settings"):
        user._org_settings = OrganisationSettings.load()
    return user._org_settings


def _reps_see_only_their_own(user) -> bool:
    return _org_settings(user).reps_see_only_own_customers


def _managers_see_only_their_teams(user) -> bool:
    return _org_settings(user).managers_see_only_their_teams


def _their_teams(user: User) -> models.QuerySet:
    return Team.objects.filter(Q(members=user) | Q(managers=user)).values("pk")


def _their_teams_people(user: User) -> models.QuerySet:
    """The members and managers of the teams `user` belongs to or manages (ids)."""
    teams = _their_teams(user)
    return User.objects.filter(Q(teams__in=teams) | Q(managed_teams__in=teams)).values("pk")


def _team_scope(user: User, prefix: str) -> Q:
    return Q(**{f"{prefix}owner__in": _their_teams_people(user)}) | Q(
        **{f"{prefix}team__in": _their_teams(user)}
    )


def _own_or_unassigned(user: User, prefix: str) -> Q:
    return Q(**{f"{prefix}owner": user}) | Q(**{f"{prefix}owner__isnull": True})


def visibility_scope(user, *, prefix: str = "") -> Q | None:
    """The filter of records `user` may see; None means everything. `prefix` reaches the owner
    through a relation, e.g. "company__" for a record that is visible with its company."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    role = user.role
    if role == Role.ADMINISTRATOR:
        return None
    if role == Role.MANAGER:
        if _managers_see_only_their_teams(user):
            return _own_or_unassigned(user, prefix) | _team_scope(user, prefix)
        return None
    if role == Role.NORMAL_USER:
        if _reps_see_only_their_own(user):
            return _own_or_unassigned(user, prefix)
        return None
    return _own_or_unassigned(user, prefix)


def oversees_every_team(user) -> bool:
    """Whether reports show `user` the figures of every seller and team: Administrators, and
    Managers unless the org setting narrows them to their teams."""
    if not user.is_authenticated or not user.is_active:
        return False
    role = user.role
    if role == Role.ADMINISTRATOR:
        return True
    return role == Role.MANAGER and not _managers_see_only_their_teams(user)


def visible_users(user) -> models.QuerySet:
    """The active users whose records `user` sees as a whole (who a filter by owner offers):
    everyone when `user` sees every record; a Manager narrowed to their teams themselves and
    their teams' members and managers; anyone else (own and unassigned records) themselves."""
    users = User.objects.filter(is_active=True)
    if not user.is_authenticated or not user.is_active:
        return users.none()
    if visibility_scope(user) is None:
        return users
    if user.role == Role.MANAGER:
        return users.filter(Q(pk=user.pk) | Q(pk__in=_their_teams_people(user)))
    return users.filter(pk=user.pk)


def visible_teams(user) -> models.QuerySet:
    """The teams whose records `user` sees as a whole (who a filter by team offers): every team
    when `user` sees every record, otherwise the teams they belong to or manage."""
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if visibility_scope(user) is None:
        return Team.objects.all()
    return Team.objects.filter(pk__in=_their_teams(user))


def _reports_on_others(user) -> bool:
    # Reports compare sellers: Administrators and Managers oversee some; anyone else granted a
    # report sees their own figures only, even when they may read every record.
    return user.is_authenticated and user.is_active and user.role in (Role.ADMINISTRATOR, Role.MANAGER)


def reported_users(user) -> models.QuerySet:
    """The sellers whose figures a report shows `user`: `visible_users` for Administrators and
    Managers, only themselves for anyone else."""
    if _reports_on_others(user):
        return visible_users(user)
    return User.objects.filter(pk=user.pk)


def reported_teams(user) -> models.QuerySet:
    """The teams whose figures a report shows `user`: `visible_teams` for Administrators and
    Managers, none for anyone else."""
    if _reports_on_others(user):
        return visible_teams(user)
    return Team.objects.none()


def teams_to_file_under(user) -> models.QuerySet:
    """The teams `user` may file a record under: every team for who oversees every team
    (Administrators, Managers unless narrowed), else the teams they belong to or manage — filing
    a record under another team would hand it to people its owner does not work with."""
    if oversees_every_team(user):
        return Team.objects.all()
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    return Team.objects.filter(pk__in=_their_teams(user))


def edit_scope(user, *, prefix: str = "") -> Q | None:
    """The filter of records `user` may change; always within what they see."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    role = user.role
    if role == Role.NORMAL_USER:
        if _reps_see_only_their_own(user):
            return _own_or_unassigned(user, prefix)
        return _own_or_unassigned(user, prefix) | _team_scope(user, prefix)
    return visibility_scope(user, prefix=prefix)


def _apply(queryset: models.QuerySet, scope: Q | None) -> models.QuerySet:
    return queryset if scope is None else queryset.filter(scope)


def visible_to(queryset: models.QuerySet, user, *, prefix: str = "") -> models.QuerySet:
    """`queryset` narrowed to the records `user` may see."""
    return _apply(queryset, visibility_scope(user, prefix=prefix))


def editable_by(queryset: models.QuerySet, user, *, prefix: str = "") -> models.QuerySet:
    """`queryset` narrowed to the records `user` may change."""
    return _apply(queryset, edit_scope(user, prefix=prefix))


def _queryset(model_or_queryset) -> models.QuerySet:
    if isinstance(model_or_queryset, models.QuerySet):
        return model_or_queryset
    return model_or_queryset._default_manager.all()


def get_visible_or_404(model_or_queryset, user, **lookup):
    """The record, if `user` may see it; otherwise 404, exactly as if it did not exist."""
    return get_object_or_404(visible_to(_queryset(model_or_queryset), user), **lookup)


def can_edit(user, instance: models.Model) -> bool:
    """Whether `user` may change `instance` (one query unless the role edits everything)."""
    scope = edit_scope(user)
    if scope is None:
        return True
    return type(instance)._default_manager.filter(scope, pk=instance.pk).exists()


def get_editable_or_404(model_or_queryset, user, **lookup):
    """The record, if `user` may change it; 404 if they cannot see it, 403 if read-only for them."""
    instance = get_visible_or_404(model_or_queryset, user, **lookup)
    if not can_edit(user, instance):
        raise PermissionDenied
    return instance


def require_permission(user, permission: str) -> None:
    """403 unless the user holds `permission`, e.g. "contacts.export_company": from their role
    group, as their own, or from a permission group of one of their teams."""
    if not user.has_perm(permission):
        raise PermissionDenied
