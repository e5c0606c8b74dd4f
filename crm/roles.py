"""Role groups and their default permissions, for data migrations of every app.

Each app grants its own model permissions to the role groups in a data migration, e.g.::

    grant_role_permissions(apps, {Role.MANAGER: ["contacts.view_company", ...]})

Administrators need no rows: crm.auth_backends.RoleBackend gives them every permission.
After the migration, the permissions are edited in Django admin (Groups).
"""

from django.contrib.auth.management import create_permissions

ROLE_GROUP_NAMES = ["Administrator", "Manager", "Sales rep", "Restricted"]


def model_permissions(app_label: str, model: str, actions=("view", "add", "change", "delete")) -> list[str]:
    return [f"{app_label}.{action}_{model}" for action in actions]


def grant_role_permissions(apps, grants: dict[str, list[str]]) -> None:
    """Add the named permissions to the named role groups (creating what is missing)."""
    # Permissions are normally created after migrate; create them now so they can be granted.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, permission_names in grants.items():
        group, _created = group_model.objects.get_or_create(name=group_name)
        for name in permission_names:
            app_label, codename = name.split(".", 1)
            permission = permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            group.permissions.add(permission)


def revoke_role_permissions(apps, revokes: dict[str, list[str]]) -> None:
    """Take the named permissions away from the named role groups (those they do not hold, and
    groups that do not exist, are left alone)."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, permission_names in revokes.items():
        group = group_model.objects.filter(name=group_name).first()
        if group is None:
            continue
        for name in permission_names:
            app_label, codename = name.split(".", 1)
            group.permissions.remove(
                *permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
            )
