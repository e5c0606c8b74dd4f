"""The public links of a campaign mail: the open pixel, tracked links and the unsubscribe link.

Each names its recipient (and a link by its index in the mail's list of links) in a token signed
with the site's secret key, so it cannot be forged or altered. A click's destination is read from
the mail's own list of links, never from the URL: the redirect cannot be sent anywhere else.
"""

from __future__ import annotations

import functools
import re

from django.conf import settings
from django.core import signing
from django.urls import reverse

_TOKEN = re.compile(r"[0-9]{1,18}(\.[0-9]{1,4})?:[A-Za-z0-9_-]{20,100}")
KIND_OPEN, KIND_CLICK, KIND_UNSUBSCRIBE = "o", "c", "u"
# Links in a mail's text: http(s) up to white space or a character that usually closes them.
LINK = re.compile(r"https?://[^\s<>\"'()\[\]{}]+[^\s<>\"'()\[\]{}.,;:!?]")
MAX_LINKS = 200


def base_url() -> str:
    """Where the CRM answers the public (mails are sent by workers, outside any request)."""
    return settings.CRM_PUBLIC_URL


def token(kind: str, recipient_id: int, link: int | None = None) -> str:
    value = f"{recipient_id}" if link is None else f"{recipient_id}.{link}"
    # The kind is signed too (a pixel token is no unsubscribe token), but not carried.
    signed = signing.Signer(salt=f"marketing.mailings.{kind}").sign(value)
    return signed


def read(kind: str, value: str) -> tuple[int, int | None] | None:
    """(recipient id, link index or None) of a token of `kind`, or None if forged or malformed."""
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        return None
    try:
        plain = signing.Signer(salt=f"marketing.mailings.{kind}").unsign(value)
    except signing.BadSignature:
        return None
    recipient, _dot, link = plain.partition(".")
    if (link == "") != (kind != KIND_CLICK):
        return None
    return int(recipient), (int(link) if link else None)


@functools.cache
def _path(name: str) -> tuple[str, str]:
    """The path of route `name` around its token (reversed once per process: a campaign builds
    three to five links per mail)."""
    before, _marker, after = reverse(name, kwargs={"token": "TOKEN"}).partition("TOKEN")
    return before, after


def _url(name: str, value: str) -> str:
    before, after = _path(name)
    return f"{base_url()}{before}{value}{after}"


def open_url(recipient_id: int) -> str:
    return _url("mailings_public:open", token(KIND_OPEN, recipient_id))


def click_url(recipient_id: int, link: int) -> str:
    return _url("mailings_public:click", token(KIND_CLICK, recipient_id, link))


def unsubscribe_url(recipient_id: int) -> str:
    return _url("mailings_public:unsubscribe", token(KIND_UNSUBSCRIBE, recipient_id))


def links_of(text: str) -> list[str]:
    """The distinct links of a text, in order (at most MAX_LINKS)."""
    found: list[str] = []
    for match in LINK.finditer(text or ""):
        if match.group(0) not in found:
            found.append(match.group(0))
            if len(found) == MAX_LINKS:
                break
    return found
