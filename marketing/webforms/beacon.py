"""The website tracking endpoint `w/t/visit`, served in front of Django (crm.wsgi hands this
path to `application`) so that a page-visit report costs no middleware, session, URL resolving
or database: it is checked here and queued in Redis (marketing.webforms.visit_queue), and the
drain writes it. The Django route `webforms_public:visit` answers through the same `answer`
(runserver, tests, the access matrix).

What a report may do and what protects it (see also public_views' module docstring): it is
posted cross-site by the snippet (no CSRF token can exist, and none is needed: no session or
cookie of ours is read); its size is capped before the body is read (413); its client address
is rate-limited (429, counted in Redis for the whole site); its body must parse and name an
http(s) URL (400); its visitor token must be signed by us (else 204 and nothing queued, as for
a visitor who gave no consent: a prober learns nothing). Whether the visitor may be followed
(consent, unsubscribed) and whether the page is tracked are decided by the drain.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils.translation import gettext as _

from crm.security import client_ip
from marketing import visitors
from marketing.webforms import visit_queue

logger = logging.getLogger(__name__)

PATH = "/w/t/visit"
MAX_VISIT_BYTES = 4 * 1024
# Per client IP. A browsing office behind one NAT reports a few pages a second at most.
VISIT_LIMIT = getattr(settings, "WEBFORMS_VISIT_LIMIT", (600, 60))
MAX_URL_LENGTH = 2000


class _Meta:
    """What crm.security.client_ip reads of a request: its META (the WSGI environ)."""

    __slots__ = ("META",)

    def __init__(self, environ):
        self.META = environ


def _content_length(environ) -> int:
    try:
        return max(0, int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return -1


def _payload(content_type: str, body: bytes) -> dict | None:
    """The posted fields, or None for a body that does not parse."""
    try:
        if content_type.startswith(("application/json", "text/plain")):
            payload = json.loads(body.decode("utf-8"))
            return payload if isinstance(payload, dict) else None
        if content_type.startswith("multipart/form-data"):
            meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
            posted, _files = MultiPartParser(meta, io.BytesIO(body), [], "utf-8").parse()
            return posted.dict()
        return QueryDict(body, encoding="utf-8").dict()
    except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, UnicodeDecodeError, ValueError):
        return None


def _event(payload: dict | None) -> tuple[bool, str]:
    """(whether the report is well-formed, the event to queue: "" for none)."""
    if payload is None:
        return False, ""
    url, token = payload.get("url"), payload.get("vid", payload.get(visitors.PARAMETER, ""))
    if not isinstance(url, str) or not isinstance(token, str) or not url or len(url) > MAX_URL_LENGTH:
        return False, ""
    try:
        parts = urlsplit(url) if "\x00" not in url else None
    except ValueError:  # e.g. http://[ (an unclosed IPv6 address)
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return False, ""
    visitor = visitors.visitor_from_token(token)
    if visitor is None:
        return True, ""  # forged, altered or expired: answered as any report, nothing queued
    return True, visit_queue.encode(
        person_id=visitor.person_id, lead_id=visitor.lead_id, url=url, path=parts.path or "/", at=time.time()
    )


def answer(environ, read_body) -> int:
    """The status for a POSTed report (`read_body(n)` gives its bytes): 204 taken (queued when
    its visitor is known), 400 malformed, 413 too big, 429 too many, 503 the queue is down."""
    length = _content_length(environ)
    if length < 0 or length > MAX_VISIT_BYTES:
        return 413
    well_formed, event = _event(_payload(environ.get("CONTENT_TYPE", ""), read_body(length)))
    limit, window = VISIT_LIMIT
    address = hashlib.sha256(client_ip(_Meta(environ)).encode()).hexdigest()
    try:
        count = visit_queue.accept(client_key=address, limit=limit, window_seconds=window, event=event)
    except visit_queue.RedisError:
        logger.exception("The page-visit queue is not answering.")
        return 503
    if count > limit:
        return 429
    return 204 if well_formed else 400


_REASONS = {
    200: "200 OK",
    204: "204 No Content",
    400: "400 Bad Request",
    405: "405 Method Not Allowed",
    413: "413 Request Entity Too Large",
    429: "429 Too Many Requests",
    503: "503 Service Unavailable",
}


def _headers() -> list[tuple[str, str]]:
    # What Django's SecurityMiddleware, XFrameOptionsMiddleware and django-csp put on every
    # response; a report's answer is never read by a page, so the policy allows nothing.
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", settings.SECURE_REFERRER_POLICY or "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
        ("Cache-Control", "no-store"),
    ]
    if settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append(("Strict-Transport-Security", hsts))
    return headers


def application(environ, start_response):
    """The WSGI application of `w/t/visit` (crm.wsgi routes the path here)."""
    # No access-log line per accepted report (crm.gunicorn_logging); refusals are still logged.
    environ["crm.quiet_access_log"] = True
    method = environ.get("REQUEST_METHOD", "")
    headers = _headers()
    body = b""
    if method == "POST":
        stream = environ["wsgi.input"]
        status = answer(environ, lambda length: stream.read(length) if length else b"")
    elif method in ("GET", "HEAD"):
        status = 200
        body = _("The website tracking snippet reports page visits here (POST).\n").encode()
        headers.append(("Content-Type", "text/plain; charset=utf-8"))
    else:
        status = 405
        headers.append(("Allow", "GET, POST"))
    if status != 204:
        headers.append(("Content-Length", str(len(body))))
    start_response(_REASONS[status], headers)
    return [b""] if method == "HEAD" else [body]
