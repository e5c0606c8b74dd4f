"""Who a website visitor is (seed 002: a visitor becomes known through a tracked e-mail click or a
form submission).

The CRM and the company website live on different domains, so the CRM cannot set a cookie the
website reads. Instead a tracked click redirects to its destination with a signed visitor token
in the `crm_vid` query parameter (and a web form's thank-you answer carries one); the website
snippet keeps it in a first-party cookie on the website's own domain and sends it with every
page visit it reports. The token names a person and/or a lead; it cannot be forged or altered.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

PARAMETER = "crm_vid"
COOKIE = "crm_vid"
_SALT = "marketing.visitor"
MAX_AGE_SECONDS = 2 * 365 * 24 * 60 * 60


@dataclass(frozen=True)
class Visitor:
    person_id: int | None = None
    lead_id: int | None = None


def visitor_token(*, person_id: int | None = None, lead_id: int | None = None) -> str:
    if person_id is None and lead_id is None:
        raise ValueError("A visitor token names a person or a lead.")
    return signing.dumps({"p": person_id, "l": lead_id}, salt=_SALT, compress=True)


def visitor_from_token(token: str) -> Visitor | None:
    """The visitor a token names, or None for a forged, altered, expired or malformed one."""
    if not token or len(token) > 300:
        return None
    try:
        value = signing.loads(token, salt=_SALT, max_age=MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(value, dict):
        return None
    person_id, lead_id = value.get("p"), value.get("l")
    if not all(v is None or (isinstance(v, int) and v > 0) for v in (person_id, lead_id)):
        return None
    if person_id is None and lead_id is None:
        return None
    return Visitor(person_id=person_id, lead_id=lead_id)
