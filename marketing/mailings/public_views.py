"""The public links of campaign mails (no login): the open pixel, tracked links, unsubscribe.

Each takes a signed token (marketing.mailings.tracking): a forged, altered or malformed one gets
404 and changes nothing. Every request counts against a per-address limit (crm.ratelimit); over
it, 429 and nothing is recorded. Repeats are harmless: the first open, the first click of a link
and the unsubscribe are recorded once; a replayed unsubscribe answers the same page.
"""

from __future__ import annotations

import base64

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from crm import ratelimit
from crm.security import client_ip
from marketing.mailings import services, tracking
from marketing.mailings.models import Recipient

# A transparent 1×1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# Mail clients and their image proxies fetch from few addresses: generous, but a flood stops.
LIMIT_PER_MINUTE = 600


def _limited(request) -> HttpResponse | None:
    if ratelimit.allowed("mailings-public", client_ip(request), limit=LIMIT_PER_MINUTE, window_seconds=60):
        return None
    return HttpResponse("Too many requests.", status=429, content_type="text/plain")


def _read(kind: str, token: str) -> tuple[int, int | None]:
    value = tracking.read(kind, token)
    if value is None:
        raise Http404
    return value


@login_not_required
@never_cache
@require_GET
def open_pixel(request, token: str):
    recipient_id, _link = _read(tracking.KIND_OPEN, token)
    if limited := _limited(request):
        return limited
    services.record_open(recipient_id=recipient_id)
    return HttpResponse(PIXEL, content_type="image/gif")


@login_not_required
@never_cache
@require_GET
def click(request, token: str):
    recipient_id, link = _read(tracking.KIND_CLICK, token)
    if limited := _limited(request):
        return limited
    destination = services.record_click(recipient_id=recipient_id, link=link)
    if destination is None:
        raise Http404
    # The destination is one of the mail's own links (http or https), never the request's.
    return HttpResponseRedirect(destination)


# Mail clients send RFC 8058's one-click unsubscribe as a POST without any cookie or CSRF token,
# from their own servers: CSRF protection cannot apply. The signed token is the protection: it
# names one recipient, can only unsubscribe them (a forged one gets 404), and repeating it
# changes nothing. The confirm page's own form posts to the same URL.
@csrf_exempt
@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    recipient_id, _link = _read(tracking.KIND_UNSUBSCRIBE, token)
    if limited := _limited(request):
        return limited
    recipient = Recipient.objects.filter(pk=recipient_id).only("pk", "unsubscribed_at").first()
    if recipient is None:
        raise Http404
    if request.method == "POST":
        services.record_unsubscribe(recipient_id=recipient_id)
        return render(request, "mailings/unsubscribe.html", {"done": True})
    return render(
        request, "mailings/unsubscribe.html", {"done": recipient.unsubscribed_at is not None, "token": token}
    )
