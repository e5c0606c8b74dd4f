"""Request facts that security decisions rest on."""

from django.conf import settings


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the address our own proxies saw.

    X-Forwarded-For is read only when CRM_TRUSTED_PROXY_COUNT declares how many proxies
    of ours append to it, and then from the right, so a client cannot forge its address
    to escape the login throttle.
    """
    proxies = settings.CRM_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def login_name(request, credentials=None) -> str:
    """The account a sign-in attempt is counted against (django-axes' AXES_USERNAME_CALLABLE).

    A user may sign in by username or by e-mail address (crm.auth_backends.RoleBackend), so an
    address that names exactly one user counts against that user's username: ten wrong
    passwords lock the account whichever of the two was typed, instead of ten of each."""
    from crm.models import User

    typed = (credentials or {}).get("username")
    if typed is None:
        typed = request.POST.get("username", "") if request is not None else ""
    typed = str(typed)
    if "@" not in typed or User._default_manager.filter(username=typed).exists():
        return typed
    matches = list(
        User._default_manager.filter(email__iexact=typed.strip()).values_list("username", flat=True)[:2]
    )
    return matches[0] if len(matches) == 1 else typed
