"""The signed-in user's profile (seed 003): a picture shown beside their to-dos and history, an
e-mail signature used by templates, their reminder settings and their private calendar feed.

The services change only the acting user's own profile; administrators change others in
Django admin."""

from __future__ import annotations

import io
import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from PIL import Image, ImageOps

from crm.models import User
from crm.profile_forms import ProfileForm
from crm.services import audit_record

AVATAR_SIDE = 256  # pixels of the stored picture: what the pages show, and no camera metadata
CALENDAR_TOKEN_BYTES = 32  # whoever holds the link reads the feed: long and random


def new_calendar_token() -> str:
    return secrets.token_urlsafe(CALENDAR_TOKEN_BYTES)


# -- Services -------------------------------------------------------------------------------------


def _own(actor, user: User) -> None:
    if not getattr(actor, "is_authenticated", False) or actor.pk != user.pk:
        raise PermissionDenied


def avatar_png(upload) -> bytes:
    """The picture re-drawn as a small PNG: what is stored is ours (no EXIF, no scripts in
    odd formats), whatever was uploaded."""
    with Image.open(upload) as image:
        image = ImageOps.exif_transpose(image)
        image = image.convert("RGBA")
        image.thumbnail((AVATAR_SIDE, AVATAR_SIDE))
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@transaction.atomic
def profile_update(
    *,
    actor,
    user: User,
    email_signature: str,
    reminders_enabled: bool,
    reminder_time,
    avatar=None,
    remove_avatar: bool = False,
) -> User:
    """Save the user's own profile; a new picture replaces the old one, whose file goes after commit."""
    _own(actor, user)
    old_name = user.avatar.name if user.avatar else ""
    changes = {}
    for field, value in (
        ("email_signature", email_signature),
        ("reminders_enabled", reminders_enabled),
        ("reminder_time", reminder_time),
    ):
        if getattr(user, field) != value:
            changes[field] = value
            setattr(user, field, value)
    if avatar is not None:
        user.avatar.save("avatar.png", ContentFile(avatar_png(avatar)), save=False)
        changes["avatar"] = "new picture"
    elif remove_avatar and old_name:
        user.avatar = ""
        changes["avatar"] = "removed"
    user.save(update_fields=["email_signature", "reminders_enabled", "reminder_time", "avatar"])
    if changes:
        audit_record(actor=actor, verb="updated profile", instance=user, changes=changes)
    if old_name and user.avatar.name != old_name:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return user


@transaction.atomic
def calendar_token_renew(*, actor, user: User) -> str:
    """A new private feed link; the old one stops working at once."""
    _own(actor, user)
    user.calendar_token = new_calendar_token()
    User.objects.filter(pk=user.pk).update(calendar_token=user.calendar_token)
    audit_record(actor=actor, verb="renewed calendar link", instance=user)
    return user.calendar_token


@transaction.atomic
def calendar_token_revoke(*, actor, user: User) -> None:
    """Turn the private feed off: its link answers 404 from now on."""
    _own(actor, user)
    user.calendar_token = None
    User.objects.filter(pk=user.pk).update(calendar_token=None)
    audit_record(actor=actor, verb="turned off calendar link", instance=user)


# -- Views ----------------------------------------------------------------------------------------


def _feed_url(request, user: User) -> str:
    if not user.calendar_token:
        return ""
    try:
        return request.build_absolute_uri(reverse("activities:calendar_feed", args=[user.calendar_token]))
    except NoReverseMatch:
        return ""


@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, request.FILES or None, instance=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        profile_update(
            actor=user,
            user=user,
            email_signature=data["email_signature"],
            reminders_enabled=data["reminders_enabled"],
            reminder_time=data["reminder_time"],
            avatar=data["avatar"],
            remove_avatar=data["remove_avatar"],
        )
        messages.success(request, _("Your profile is saved."))
        return redirect("profile")
    if form.is_bound:
        # The form's instance took the refused values: show what is stored.
        user.refresh_from_db()
    context = {"form": form, "feed_url": _feed_url(request, user), "profile_user": user}
    return render(request, "crm/profile.html", context, status=422 if form.is_bound else 200)


@require_POST
def profile_calendar_renew(request):
    calendar_token_renew(actor=request.user, user=request.user)
    messages.success(request, _("Your calendar has a new link; the old one no longer works."))
    return redirect("profile")


@require_POST
def profile_calendar_revoke(request):
    calendar_token_revoke(actor=request.user, user=request.user)
    messages.success(request, _("Your calendar link is turned off."))
    return redirect("profile")


@require_GET
def profile_avatar(request, user_pk: int):
    """A colleague's picture (shown beside their to-dos and history), or a neutral placeholder."""
    user = get_object_or_404(User.objects.only("pk", "avatar"), pk=user_pk) if user_pk else None
    if user is not None and user.avatar:
        try:
            response = FileResponse(user.avatar.open("rb"), content_type="image/png")
        except FileNotFoundError:
            response = None
        if response is not None:
            response["Cache-Control"] = "private, max-age=300"
            return response
    placeholder = render_to_string("crm/profile_avatar_placeholder.svg")
    response = HttpResponse(placeholder, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


urlpatterns = [
    path("", profile, name="profile"),
    path("calendar/renew/", profile_calendar_renew, name="profile_calendar_renew"),
    path("calendar/revoke/", profile_calendar_revoke, name="profile_calendar_revoke"),
    path("avatars/<int:user_pk>/", profile_avatar, name="profile_avatar"),
]
