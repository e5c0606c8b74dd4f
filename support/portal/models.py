"""The customer portal's own sign-in records (issue 15 item 8) and the log of inbound mail.

A customer never holds a staff account: they sign in with a single-use link mailed to them
(`PortalLink`) and then carry a portal session (`PortalSession`) in a cookie of its own. Both
store only a SHA-256 hash of their secret, so a copy of the database signs no one in. Neither
touches Django's users, sessions or permissions: a portal session grants nothing on a staff page
and a staff session nothing on the portal.

`InboundMail` records each received mail by its Message-ID (support.inbound): the unique key
makes receiving the same mail twice (a gateway retrying, a mail delivered to two queue
addresses) create one ticket or message.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Person
from support.models import Ticket


class PortalLink(models.Model):
    """A magic sign-in link: valid for minutes, spent by its first use."""

    person = models.ForeignKey(Person, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal sign-in link")
        verbose_name_plural = _("portal sign-in links")
        indexes = [models.Index(fields=["expires_at"], name="portal_link_expiry")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.created_at:%Y-%m-%d %H:%M}"


class PortalSession(models.Model):
    """A signed-in customer: the cookie holds the random key, the table its hash."""

    person = models.ForeignKey(Person, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("signed in"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    ended_at = models.DateTimeField(_("signed out"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal session")
        verbose_name_plural = _("portal sessions")
        indexes = [models.Index(fields=["expires_at"], name="portal_session_expiry")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.created_at:%Y-%m-%d %H:%M}"


class InboundMail(models.Model):
    """One received mail, by its Message-ID (or the hash of its bytes when it has none)."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("New ticket")
        ATTACHED = "attached", _("Added to a ticket")
        IGNORED = "ignored", _("Ignored")

    key = models.CharField(max_length=255, unique=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        indexes = [models.Index(fields=["received_at"], name="inbound_mail_received")]

    def __str__(self) -> str:
        return self.key
