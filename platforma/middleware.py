"""Cross-cutting middleware: security headers, request and security logging, "database down" pages."""

import hashlib
import logging
import re
import time

from django.conf import settings
from django.utils.cache import patch_cache_control
from django.utils.functional import empty

from accounts.models import normalise_email

from .views import DATABASE_UNAVAILABLE, database_unavailable

request_log = logging.getLogger("platforma.requests")
security_log = logging.getLogger("platforma.security")
database_log = logging.getLogger("platforma.database")

_PARTNER_PATH = re.compile(r"^/(?:[a-z]{2}(?:-[a-z]+)?/)?partners/")


class PermissionsPolicyMiddleware:
    """Tells browsers this site uses none of the powerful features (Django has no setting for it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class PrivateByDefaultMiddleware:
    """A response that does not say how it may be cached is `private, no-store`: partner pages, the admin,
    forms and errors are never kept by a proxy or a shared cache. Public pages say otherwise
    (institutions.cache.cache_public_page), static files too (WhiteNoise answers before this)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _user_id(request):
    """The authenticated user's id, without loading the user if the page never did (no extra query)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class RequestLogMiddleware:
    """One JSON line per request on "platforma.requests".

    Logs the path and the *names* of the query parameters only: values (search text, e-mail addresses in a
    password-reset link...) may be personal data. No IP address, no user agent.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - start) * 1000, 1)
        data = {
            "method": request.method,
            "path": request.path,
            "query_keys": sorted(request.GET.keys()),
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": _user_id(request),
        }
        request_log.info("request", extra={"data": data})
        if response.status_code == 403 or (response.status_code == 404 and _PARTNER_PATH.match(request.path)):
            security_log.warning(
                "permission_refused",
                extra={"data": {"method": request.method, "path": request.path,
                                "status": response.status_code, "user_id": data["user_id"]}},
            )
        return response


def email_fingerprint(value):
    """A stable, non-reversible tag for an attempted login name: repeated attempts on one address can be
    correlated in the logs without the logs holding the address."""
    normalised = normalise_email(str(value or ""))
    return hashlib.sha256(f"{settings.SECRET_KEY}:{normalised}".encode()).hexdigest()[:16]


def log_failed_login(sender, credentials, request=None, **kwargs):
    """Receiver of user_login_failed (connected in platforma.apps): the attempted e-mail's hash, never the
    address or the password."""
    attempted = credentials.get("username") or credentials.get("email") or ""
    security_log.warning(
        "login_failed",
        extra={"data": {"login_hash": email_fingerprint(attempted),
                        "path": getattr(request, "path", None)}},
    )


class DatabaseUnavailableMiddleware:
    """A view that finds the database unreachable answers the 503 page instead of a 500.

    Django then closes the broken connection at the end of the request and, with CONN_HEALTH_CHECKS, opens a
    fresh one for the next request: the site recovers by itself when the database is back. Failures outside
    views (middleware, error handlers) reach platforma.views.server_error, which gives the same 503.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable(request, exception)
        return None
