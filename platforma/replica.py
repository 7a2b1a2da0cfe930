"""Reads from a PostgreSQL streaming replica where it is safe (DATABASE_REPLICA_URL; unset: nothing here runs).

The rules, each one line in `may_read_replica` or `replica_ready`:

- Only requests read from the replica: management commands, the worker and the tests read the primary.
- Only anonymous GET/HEAD requests outside the admin, partner, account and alert pages (an alert's link is
  followed seconds after its subscription is written): public pages, feeds, sitemap, exports, statistics
  and the API. Anyone with a session cookie (partners, staff) reads the primary.
- Read-your-writes: a POST (any unsafe method) answers with a short-lived cookie (PIN_COOKIE); while the
  browser sends it, its requests read the primary.
- Right after the directory changed (institutions.cache.changed_at), everyone reads the primary for
  pin_seconds(): a page rendered from a replica that has not replayed the change yet would otherwise be
  stored under the new generation (the page cache, nginx, browsers revalidating with its ETag) and stay
  stale until the next change.
- The replica is used only when it answers and lags at most REPLICA_MAX_LAG seconds, checked at most every
  REPLICA_CHECK_INTERVAL seconds per process. A replica that fails during a request (the view answered 503)
  is marked down and the request is served again from the primary, once (GET and HEAD only, so it is safe).

Writes always go to the primary ("default"); migrations run only there.
"""

import contextvars
import logging
import re
import time

from django.conf import settings
from django.db import DatabaseError, connections

from institutions.cache import changed_at

REPLICA = "replica"
PIN_COOKIE = "platforma_primary"
_PRIMARY_ONLY_PATH = re.compile(r"^/(?:[a-z]{2}(?:-[a-z]+)?/)?(?:partners|accounts|alerts)/")

logger = logging.getLogger(__name__)

# Lag in seconds: 0 when every WAL record received is replayed and the stream is live, else how old the last
# replayed transaction is; 0 too when the URL names a server that is not in recovery (no lag by definition).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
    ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
END
"""

_request = contextvars.ContextVar("platforma_replica_request", default=None)
_health = {"checked": float("-inf"), "ready": False}  # per process


def configured():
    return REPLICA in settings.DATABASES


def pin_seconds():
    """How long the primary is read after a write: the replica then holds it, whatever its lag was."""
    return settings.REPLICA_MAX_LAG + settings.REPLICA_CHECK_INTERVAL + 1


def replica_ready():
    """True when the replica answered and lagged at most REPLICA_MAX_LAG at its last check (at most
    REPLICA_CHECK_INTERVAL seconds ago)."""
    now = time.monotonic()
    if now - _health["checked"] < settings.REPLICA_CHECK_INTERVAL:
        return _health["ready"]
    _health["checked"] = now
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            lag = cursor.fetchone()[0]
    except DatabaseError as error:
        connections[REPLICA].close()
        if _health["ready"]:
            logger.warning("replica unreachable, reading the primary: %s", error)
        _health["ready"] = False
        return False
    ready = lag is not None and float(lag) <= settings.REPLICA_MAX_LAG
    if _health["ready"] and not ready:
        logger.warning("replica lags %s s (more than %s), reading the primary", lag, settings.REPLICA_MAX_LAG)
    _health["ready"] = ready
    return ready


def mark_down():
    """The replica failed: read the primary until the next check."""
    _health.update(checked=time.monotonic(), ready=False)


def may_read_replica(request):
    """May this request read from the replica at all (before asking whether the replica is ready)?"""
    if request.method not in ("GET", "HEAD"):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or PIN_COOKIE in request.COOKIES:
        return False
    if request.path.startswith("/" + settings.ADMIN_URL) or _PRIMARY_ONLY_PATH.match(request.path):
        return False
    changed = changed_at()
    return changed is not None and time.time() - changed.timestamp() > pin_seconds()


class ReplicaRouter:
    """settings.DATABASE_ROUTERS when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model, **hints):
        state = _request.get()
        if state is not None and state["allowed"] and replica_ready():
            state["used"] = True
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaMiddleware:
    """Decides, per request, whether its reads may go to the replica (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not configured():
            return self.get_response(request)
        state = {"allowed": may_read_replica(request), "used": False}
        token = _request.set(state)
        try:
            response = self.get_response(request)
            if response.status_code == 503 and state["used"]:
                mark_down()
                state.update(allowed=False, used=False)
                response = self.get_response(request)
        finally:
            _request.reset(token)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            response.set_cookie(
                PIN_COOKIE, "1", max_age=pin_seconds(), httponly=True, samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )  # fmt: skip
        return response
