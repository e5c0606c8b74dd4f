from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from crm import health
from crm.dashboard import dashboard_figures


def dashboard(request):
    return render(request, "crm/dashboard.html", {"figures": dashboard_figures(user=request.user)})


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
