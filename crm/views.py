from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
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
    checks = {"database": health.database_is_up(), "redis": health.redis_is_up()}
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            **{name: "ok" if up else "down" for name, up in checks.items()},
        },
        status=200 if healthy else 503,
    )
