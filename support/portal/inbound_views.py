"""The mail gateway's endpoint: POST the raw RFC 822 message as the body, with the shared secret
in `Authorization: Bearer <CRM_INBOUND_MAIL_SECRET>`. Without a secret configured the endpoint
does not exist (404); a wrong secret is 403 and the mail is not read. Machines post here, with
no session or cookie, so there is no CSRF to check: the secret is the whole guard."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from support import inbound


def _secret() -> str:
    return getattr(settings, "CRM_INBOUND_MAIL_SECRET", "") or ""


@login_not_required
@csrf_exempt  # a machine endpoint with a shared secret: see the module docstring
def mail_in(request):
    secret = _secret()
    if not secret:
        raise Http404
    if request.method != "POST":
        return JsonResponse({"error": "POST the message"}, status=405, headers={"Allow": "POST"})
    given = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return JsonResponse({"error": "forbidden"}, status=403)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0 or length > inbound.MAX_BYTES:
        return JsonResponse({"error": "too large"}, status=413)
    result = inbound.receive(request.body)
    return JsonResponse(
        {
            "outcome": result.outcome,
            "ticket": result.ticket.pk if result.ticket else None,
            "reason": result.reason,
        }
    )
