"""Authentication backend that gives the Administrator role every permission."""

from django.contrib.auth.backends import ModelBackend


class RoleBackend(ModelBackend):
    """Model permissions from the role groups; Administrators hold all of them.

    The Administrator group therefore needs no permission rows, and permissions that later
    apps add reach administrators without a data migration.
    """

    def has_perm(self, user_obj, perm, obj=None):
        if user_obj.is_active and getattr(user_obj, "is_administrator", False):
            return True
        return super().has_perm(user_obj, perm, obj=obj)

    def has_module_perms(self, user_obj, app_label):
        if user_obj.is_active and getattr(user_obj, "is_administrator", False):
            return True
        return super().has_module_perms(user_obj, app_label)
