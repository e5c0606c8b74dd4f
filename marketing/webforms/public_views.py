"""The public side of web forms and website tracking: the attack surface, so read this first.

`w/f/<public key>/` shows a form (GET) and takes a submission (POST); `w/t/visit` takes a page
visit reported by the snippet on the company website. Neither needs a login.

Cross-site posting and CSRF. Both are posted from other sites (the company website, or a form
framed in it), where no CSRF token of ours exists, so Django's CSRF check cannot apply: these two
views, and only they, are `csrf_exempt`. What CSRF protects against — a visitor's browser made to
act with their session — does not arise here, because the views never read a session, a user or
any cookie: a submission can do nothing but what anyone on the internet may do anyway, create or
fill in a lead (and set off the form's actions), and a visit report can do nothing without a
signed visitor token. Instead they are guarded by:

* size limits before the body is read (a form 32 KB, a visit 4 KB: 413), and Django's forms
  (field lengths, e-mail syntax, no NUL characters: 400 with the errors shown);
* a honeypot field people never see (filled in: thanked, nothing stored);
* rate limits per client IP (crm.ratelimit keyed by crm.security.client_ip: 429);
* signed visitor tokens (marketing.visitors): a forged, altered or unknown one is answered 204
  and records nothing, as is a visitor who gave no consent or unsubscribed (the visit endpoint
  itself lives in marketing.webforms.beacon: checked there, queued in Redis, written in batches);
* one transaction per submission (services.submission_accept): nothing half-saved.

The form page may be framed by any site (frame-ancestors *) so that it can be embedded; it holds
no secret and acts for no signed-in user, so clickjacking gains nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from crm import ratelimit
from crm.security import client_ip
from marketing import visitors
from marketing.webforms import beacon, services
from marketing.webforms.forms import PublicSubmissionForm
from marketing.webforms.models import WebForm

MAX_FORM_BYTES = 32 * 1024
# Per client IP. A person submits a form a few times at most.
FORM_LIMIT = getattr(settings, "WEBFORMS_FORM_LIMIT", (10, 10 * 60))

try:
    from csp.decorators import csp_replace

    _frameable = csp_replace({"frame-ancestors": ["*"], "form-action": ["'self'"]})
except ImportError:  # pragma: no cover - django-csp is installed

    def _frameable(view):
        return view


def _content_length(request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return -1


def _wants_json(request) -> bool:
    return "application/json" in request.META.get("HTTP_ACCEPT", "")


def _active_form(key: str) -> WebForm:
    form = (
        WebForm.objects.filter(public_key=key, is_active=True)
        .select_related("campaign", "owner", "assign_user")
        .first()
    )
    if form is None:
        raise Http404
    return form


def _with_visitor(url: str, token: str) -> str:
    if not token:
        return url
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({visitors.PARAMETER: token})))


def _refusal(request, web_form, status: int, message: str):
    if _wants_json(request):
        return JsonResponse({"ok": False, "error": message}, status=status)
    return render(
        request, "webforms/public_refused.html", {"web_form": web_form, "message": message}, status=status
    )


@login_not_required
@csrf_exempt  # posted from other sites: see the module docstring for what protects it instead
@xframe_options_exempt
@_frameable
def form_page(request, key):
    web_form = _active_form(key)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "GET":
        form = PublicSubmissionForm(web_form=web_form)
        return render(request, "webforms/public_form.html", {"web_form": web_form, "form": form})
    length = _content_length(request)
    if length < 0 or length > MAX_FORM_BYTES:
        return _refusal(request, web_form, 413, _("The form sent too much data."))
    limit, window = FORM_LIMIT
    if not ratelimit.allowed("webform", client_ip(request), limit=limit, window_seconds=window):
        return _refusal(request, web_form, 429, _("Too many submissions from your address. Try again later."))
    posted = _posted(request)
    if posted is None:
        return _refusal(request, web_form, 400, _("The form could not be read."))
    form = PublicSubmissionForm(posted, web_form=web_form)
    if form.is_spam():
        return render(request, "webforms/public_thanks.html", {"web_form": web_form, "token": ""})
    if form.is_valid():
        try:
            result = services.submission_accept(form=web_form, values=form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            if _wants_json(request):
                return JsonResponse({"ok": True, "visitor": result.visitor_token})
            if web_form.redirect_url:
                return redirect(_with_visitor(web_form.redirect_url, result.visitor_token))
            return render(
                request, "webforms/public_thanks.html", {"web_form": web_form, "token": result.visitor_token}
            )
    if _wants_json(request):
        return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=400)
    return render(request, "webforms/public_form.html", {"web_form": web_form, "form": form}, status=400)


def _posted(request):
    """The posted fields, or None for a body that does not parse (malformed multipart…)."""
    try:
        return request.POST
    except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, UnicodeDecodeError, ValueError):
        return None


@login_not_required
@csrf_exempt  # reported by the snippet on the company website: see the module docstring
def visit(request):
    """A page visit reported by the website snippet: 204 whether or not it will be recorded. GET
    records nothing (no image-pixel tracking): it only says what the address is for. Served by
    marketing.webforms.beacon in front of Django under gunicorn; this route answers the same."""
    if request.method in ("GET", "HEAD"):
        return HttpResponse(
            _("The website tracking snippet reports page visits here (POST).\n"), content_type="text/plain"
        )
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    return HttpResponse(status=beacon.answer(request.META, lambda length: request.body))
