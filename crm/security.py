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
