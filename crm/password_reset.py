"""Password reset: throttled, and the same work whatever the address.

A request is counted per address and per client address in the cache; past either limit within
the hour nothing is sent. The view never looks the address up: it queues
`password_reset_send` (crm.outbox.enqueue) for known and unknown addresses alike and answers with the same
neutral page, so neither the answer nor its timing tells whether an account uses the address.
The worker finds the accounts, makes the tokens and queues the mails through the outbox.

The counters live in Django's cache: with a per-process cache (the default LocMemCache) each web
process counts on its own, so the limits hold per process; a shared cache (Redis) makes them hold
for the whole site.
"""

from __future__ import annotations

from django.utils import translation

from crm import outbox, ratelimit
from crm.forms import QueuedPasswordResetForm

LIMIT_PER_ADDRESS = 5
LIMIT_PER_CLIENT = 5
WINDOW_SECONDS = 60 * 60


def _counted(kind: str, value: str) -> int:
    return ratelimit.counted(f"password-reset:{kind}", value, window_seconds=WINDOW_SECONDS)


def password_reset_allowed(*, address: str, client_ip: str) -> bool:
    """Count a request; False once the address or the client is past its limit for the hour."""
    # Both are counted every time, so a refusal costs what an acceptance costs.
    by_address = _counted("address", address.strip().casefold())
    by_client = _counted("client", client_ip)
    return by_address <= LIMIT_PER_ADDRESS and by_client <= LIMIT_PER_CLIENT


def password_reset_request(*, address: str, client_ip: str, domain: str, use_https: bool) -> None:
    """Have a worker send the reset link to `address`, if an account uses it and the throttle allows.

    Queued in the outbox, so a broker that is down or frozen neither fails the request nor loses
    the mail."""
    if not password_reset_allowed(address=address, client_ip=client_ip):
        return
    outbox.enqueue(
        password_reset_send,
        address=address,
        domain=domain,
        use_https=use_https,
        language=translation.get_language(),
    )


@outbox.queueable
def password_reset_send(*, address: str, domain: str, use_https: bool, language: str | None = None) -> None:
    """Queue a reset mail for each active account with a usable password at `address`."""
    form = QueuedPasswordResetForm(data={"email": address})
    if not form.is_valid():
        return
    with translation.override(language):
        form.save(domain_override=domain, use_https=use_https)


TASK_NAME = f"{password_reset_send.__module__}.{password_reset_send.__qualname__}"
