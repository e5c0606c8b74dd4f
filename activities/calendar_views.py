"""The private calendar feed (a public URL holding a secret token) and one activity's .ics."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from activities import calendar
from activities.models import Activity

CONTENT_TYPE = "text/calendar; charset=utf-8"


@login_not_required
@require_GET
def calendar_feed(request, token: str):
    """The feed a calendar subscribes to. A wrong or revoked token is a plain 404: the same
    answer as a URL that never existed, so a guess learns nothing."""
    if not calendar.is_well_formed_token(token):
        raise Http404
    user = get_user_model()._default_manager.filter(calendar_token=token, is_active=True).first()
    if user is None:
        raise Http404
    response = HttpResponse(calendar.cached_feed_ics(user), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="crm.ics"'
    # The URL is the secret: no shared cache keeps the answer, no search engine lists it.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def activity_ics_download(request, pk: int):
    """One activity as an .ics file, for anyone who may see the activity."""
    activity = get_object_or_404(Activity.objects.visible_to(request.user), pk=pk)
    response = HttpResponse(calendar.activity_ics(activity), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{calendar.ics_filename(activity)}"'
    return response
