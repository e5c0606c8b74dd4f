from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from crm import profile, views
from crm.forms import LoginForm

account_patterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
]

# A database outage answers 503 "try again", other errors the 500 page (crm.views.server_error).
handler500 = "crm.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("accounts/settings/", views.my_settings, name="my_settings"),
    path("accounts/profile/", include(profile)),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include(account_patterns)),
    path("contacts/", include("contacts.urls")),
    # Documents of any record, under the prefix they had when only contacts had documents.
    path("contacts/", include("crm.document_urls")),
    path("leads/", include("leads.urls")),
    path("deals/", include("opportunities.urls")),
    path("activities/", include("activities.urls")),
    path("imports/", include("imports.urls")),
    path("gdpr/", include("gdpr.urls")),
    path("marketing/", include("marketing.urls")),
    path("marketing/mailings/", include("marketing.mailings.urls")),
    path("marketing/forms/", include("marketing.webforms.urls")),
    # support: tickets
    path("support/", include("support.urls")),
    # support: SLA, contracts, workload and reports
    path("support/setup/", include("support.urls_setup")),
    # support: knowledge base
    path("support/kb/", include("support.knowledge.urls")),
    # support: portal and e-mail in
    path("portal/", include("support.portal.urls")),
    # Public, without a login: tracking pixels, clicks and unsubscribes of e-mail campaigns (m/),
    # web forms and website visit tracking (w/).
    path("m/", include("marketing.mailings.public_urls")),
    path("w/", include("marketing.webforms.public_urls")),
    path("admin/", admin.site.urls),
]
