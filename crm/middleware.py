"""Middleware of the CRM's own."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class PrivateCacheControlMiddleware:
    """Every response to a signed-in user is `Cache-Control: private, no-store`.

    Pages, exports and htmx fragments carry customer data: no shared proxy may keep them, and
    no browser may keep them on disk for the next user of the machine to find in its cache or
    history. A response whose view chose its own Cache-Control keeps it (Django admin's
    never_cache, static files)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and request.user.is_authenticated:
            response["Cache-Control"] = "private, no-store"
        return response
