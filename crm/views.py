import sys

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from crm import health, password_reset, security, start_page
from crm.dashboard import dashboard_figures
from crm.forms import MySettingsForm, QueuedPasswordResetForm


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page; the throttle and a worker do the rest (crm.password_reset)."""

    form_class = QueuedPasswordResetForm

    def form_valid(self, form):
        password_reset.password_reset_request(
            address=form.cleaned_data["email"],
            client_ip=security.client_ip(self.request),
            domain=self.request.get_host(),
            use_https=self.request.is_secure(),
        )
        # The same neutral page whether an account uses the address, and when throttled.
        return HttpResponseRedirect(self.get_success_url())


def dashboard(request):
    return render(request, "crm/dashboard.html", {"figures": dashboard_figures(user=request.user)})


@require_GET
def home(request):
    """ "/": the user's start page (crm.start_page): the sales board for who chose it."""
    url = start_page.start_url(request.user)
    return redirect(url) if url else dashboard(request)


@require_http_methods(["GET", "POST"])
def my_settings(request):
    """The signed-in user's own settings: their start page."""
    form = MySettingsForm(request.POST or None, instance=request.user)
    if form.is_valid():
        start_page.user_set_start_page(
            actor=request.user, user=request.user, start_page=form.cleaned_data["start_page"]
        )
        messages.success(request, _("Your settings are saved."))
        return redirect("my_settings")
    return render(request, "crm/my_settings.html", {"form": form}, status=422 if form.is_bound else 200)


@login_not_required
@require_GET
@never_cache
def healthz(request):
    checks = health.services_up()
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            **{name: "ok" if up else "down" for name, up in checks.items()},
        },
        status=200 if healthy else 503,
    )


# Seconds a browser or a proxy is told to wait before trying again while the database is away.
DATABASE_RETRY_AFTER_SECONDS = 5


def server_error(request, template_name: str = "500.html"):
    """handler500: a 503 "try again" page when the error was the database not answering.

    Django turns an exception into a response where it is raised, in a middleware too (sessions,
    authentication), so this handler — called while that exception is being handled — is the one
    place that sees them all. The page is rendered without a request: context processors would
    reach for the session, the user and so the database that just failed."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        page = loader.get_template("503.html").render()
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return defaults.server_error(request, template_name)
