"""At most a few expensive requests at once (exports, printed lists, statistics, the network of a search):
per client address and per machine, so one visitor cannot occupy every gunicorn worker and the rest of the
site stays responsive. A request over either limit gets 429 with Retry-After at once. Pages served from the
page cache take no slot (the limit is inside cache_public_page).

Slots live in the "state" cache: Redis when CACHE_URL is set, shared by every app server (a client's limit
then holds across them; the per-machine limit is keyed by host name), otherwise a file-based cache shared by
the processes of one machine. A slot is a key taken with cache.add() (atomic on Redis; on the file-based
cache two processes may rarely both take one) and deleted once the response is sent; it expires by itself
after SLOT_TIMEOUT, should a worker die holding it. When the cache cannot be reached, requests go through
with a logged warning: the limit protects the site, it must never take it down.
"""

import hashlib
import logging
import socket
import uuid
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render

from institutions.clients import client_ip

log = logging.getLogger("platforma.limits")

SLOT_TIMEOUT = 120  # seconds; longer than any request may last (gunicorn kills them after 30 s)


def client_address(request):
    """The client's address (institutions.clients: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the
    address they saw)."""
    return client_ip(request)


def _take(state, prefix, size, token):
    for number in range(size):
        key = f"{prefix}:{number}"
        if state.add(key, token, timeout=SLOT_TIMEOUT):
            return key
    return None


def acquire(request):
    """The cache keys of the slots taken for this request, or None when a limit is reached."""
    state = caches["state"]
    token = uuid.uuid4().hex
    client = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    held = _take(state, f"expensive:client:{client}", settings.EXPENSIVE_PER_CLIENT, token)
    if held is None:
        return None
    server = _take(state, f"expensive:server:{socket.gethostname()}", settings.EXPENSIVE_PER_SERVER, token)
    if server is None:
        state.delete(held)
        return None
    return [held, server]


def release(keys):
    try:
        caches["state"].delete_many(keys)
    except Exception:  # the slots expire by themselves
        log.warning("could not release expensive-request slots", exc_info=True)


def _released_after(content, keys):
    try:
        yield from content
    finally:
        release(keys)


def too_many_requests(request):
    response = render(request, "directory/busy.html", {"seconds": settings.EXPENSIVE_RETRY_AFTER}, status=429)
    response["Retry-After"] = str(settings.EXPENSIVE_RETRY_AFTER)
    return response


def limit_expensive(view):
    """View decorator: hold a slot while the view runs and its (possibly streamed) response is sent."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            keys = acquire(request)
        except Exception:
            log.warning("expensive-request limit not applied: cache unavailable", exc_info=True)
            return view(request, *args, **kwargs)
        if keys is None:
            return too_many_requests(request)
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            release(keys)
            raise
        if response.streaming:
            response.streaming_content = _released_after(response.streaming_content, keys)
        else:
            release(keys)
        return response

    return wrapped
