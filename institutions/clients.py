"""Who the client is: the one rule, for the log-in lockout, the rate limits and the limit on expensive
requests alike."""

import ipaddress

from django.conf import settings


def client_ip(request):
    """The visitor's address, for lockout and rate limits (AXES_CLIENT_IP_CALLABLE, RATELIMIT_IP_META_KEY).

    Behind TRUSTED_PROXY_COUNT proxies, each of which appends to X-Forwarded-For the address the request
    came from, the client is the TRUSTED_PROXY_COUNT-th address from the right; whatever lies further left
    was written by the client and is never believed. Without proxies (0, the default), or when the header is
    missing, too short or not an address, REMOTE_ADDR."""
    if settings.TRUSTED_PROXY_COUNT:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= settings.TRUSTED_PROXY_COUNT:
            candidate = forwarded[-settings.TRUSTED_PROXY_COUNT]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"
