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

    def get_app_list(self, request, app_label=None):
        """Django's, sorted by each name once made text: its names are lazy translations, which a
        sort compares (translating both) ~400 times for the sidebar of every admin page."""
        app_dict = self._build_app_dict(request, app_label)
        app_list = sorted(app_dict.values(), key=lambda app: str(app["name"]).lower())
        for app in app_list:
            app["models"].sort(key=lambda model: str(model["name"]))
        return app_list
