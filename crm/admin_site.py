"""Django admin, reachable by Administrators only (settings are theirs alone)."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class AdministratorAuthenticationForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if not (user.is_active and user.is_administrator):
            raise ValidationError(
                _("Only administrators may open the settings. Sign in with an administrator account."),
                code="invalid_login",
            )


class CrmAdminSite(admin.AdminSite):
    site_header = _("CRM settings")
    site_title = _("CRM settings")
    index_title = _("Settings and data")
    login_form = AdministratorAuthenticationForm

    def has_permission(self, request):
        return request.user.is_active and request.user.is_authenticated and request.user.is_administrator
