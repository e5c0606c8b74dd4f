"""The role groups' default permissions, as the migrations leave them (seed 003's four levels)."""

import importlib

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q

from crm.models import Role

MIGRATION = "0005_export_and_report_permissions"
# Every export and report a Manager holds; the full-account workbook (issue 12: "for admins") is the
# Administrators' alone.
EXPORTS_AND_REPORTS = (
    Q(codename__startswith="export_") | Q(content_type__app_label="crm", codename="view_reports")
) & ~Q(content_type__app_label="imports", codename="export_account")


def names(permissions) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions.select_related("content_type")}


def group_permissions(role: Role) -> set[str]:
    return names(Group.objects.get(name=role.value).permissions.all())


def test_only_administrators_export_the_whole_account(db):
    for role in (Role.MANAGER, Role.NORMAL_USER, Role.RESTRICTED):
        assert "imports.export_account" not in group_permissions(role)


def test_managers_hold_every_export_and_report_permission(db):
    """A later export or report permission fails here until its app's migration grants it."""
    held = group_permissions(Role.MANAGER)
    assert {"contacts.export_company", "leads.export_lead", "opportunities.export_deal"} <= held
    assert names(Permission.objects.filter(EXPORTS_AND_REPORTS)) <= held


@pytest.mark.parametrize("role", [Role.NORMAL_USER, Role.RESTRICTED])
def test_normal_and_restricted_users_hold_no_export_or_report_permission_unless_granted(db, role):
    assert not group_permissions(role) & names(Permission.objects.filter(EXPORTS_AND_REPORTS))


@pytest.mark.parametrize(
    ("higher", "lower"), [(Role.MANAGER, Role.NORMAL_USER), (Role.NORMAL_USER, Role.RESTRICTED)]
)
def test_each_role_may_do_what_the_role_below_it_may(db, higher, lower):
    assert group_permissions(lower) <= group_permissions(higher)


def test_normal_users_work_the_record_cards(db):
    for model in ("contacts.company", "contacts.person", "leads.lead", "opportunities.deal"):
        app_label, name = model.split(".")
        for action in ("view", "add", "change", "delete"):
            assert f"{app_label}.{action}_{name}" in group_permissions(Role.NORMAL_USER)


def test_the_migration_moves_exports_from_normal_users_to_managers(db):
    """Run again on groups edited since (as an older database may hold them): it repairs them."""
    migration = importlib.import_module(f"crm.migrations.{MIGRATION}")
    sales_rep, manager = (Group.objects.get(name=role.value) for role in (Role.NORMAL_USER, Role.MANAGER))
    export_company, export_deal, view_reports = (
        Permission.objects.get(codename=codename)
        for codename in ("export_company", "export_deal", "view_reports")
    )
    sales_rep.permissions.add(export_company, view_reports)
    manager.permissions.remove(export_deal, view_reports)

    state = MigrationExecutor(connection).loader.project_state(("crm", MIGRATION))
    migration.move_export_and_report_permissions(state.apps, None)

    assert not group_permissions(Role.NORMAL_USER) & names(Permission.objects.filter(EXPORTS_AND_REPORTS))
    assert names(Permission.objects.filter(EXPORTS_AND_REPORTS)) <= group_permissions(Role.MANAGER)
