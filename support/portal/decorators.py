"""The portal's door: a view behind `portal_login_required` runs only for a request carrying an
open portal session (its own signed cookie, support.portal.auth), never for a staff login."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache

from support.portal import auth


def portal_session(request):
    """The request's open portal session, or None (a missing, tampered or ended cookie)."""
    try:
        key = request.get_signed_cookie(auth.COOKIE_NAME, default=None, salt=auth.COOKIE_SALT)
    except signing.BadSignature:
        return None
    return auth.session_find(key) if key else None


def portal_login_required(view):
    """Sign the customer in through the portal or send them to its sign-in page. The view is
    exempt from Django's staff login (LoginRequiredMiddleware): staff sessions mean nothing here."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        session = portal_session(request)
        if session is None:
            return redirect(reverse("portal:sign_in"))
        request.portal_session = session
        request.portal_person = session.person
        return view(request, *args, **kwargs)

    return login_not_required(never_cache(wrapper))
