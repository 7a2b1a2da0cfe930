"""Pages outside the language prefix: robots.txt, the health check, and the error pages.

400/403/404 use Django's default handlers with our templates (templates/4xx.html); the 500 and 503 pages
are rendered without the request, so they work when the database or the session is broken."""

import logging
import sys

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

database_log = logging.getLogger("platforma.database")


@require_GET
def robots_txt(request):
    # Partner pages are private and useless in search results, and so are the alert pages (one form per
    # search, and pages behind personal links); the sitemap lists the public ones. The admin's
    # path is never named: robots.txt is public, and a secret ADMIN_URL must stay secret (nothing links to
    # the admin, so crawlers do not find it anyway).
    lines = ["User-agent: *"]
    lines += [
        f"Disallow: /{code}/{section}/" for code, _name in settings.LANGUAGES for section in ("partners", "alerts")
    ]
    lines += ["", f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@never_cache
@require_GET
def healthz(request):
    """For the load balancer, JSON: {"database": "ok" | "unavailable", "cache": "ok" | "unreachable" |
    "not configured"}. 200 while the database answers (the site is correct without the cache, only slower),
    503 when it does not (take this instance out)."""
    report = {"database": "ok", "cache": "not configured" if not settings.CACHE_URL else "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        report["database"] = "unavailable"
    if settings.CACHE_URL:
        try:
            caches["default"].get("healthz")
        except Exception:  # noqa: BLE001 - whatever the backend raises, the answer is the same
            report["cache"] = "unreachable"
    return JsonResponse(report, status=200 if report["database"] == "ok" else 503)


# Errors that mean "the database cannot be reached", as opposed to a bug in a query: the middleware and
# handler500 answer them with database_unavailable.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def database_unavailable(request, exception=None):
    """503 with Retry-After: the database cannot be reached; the page itself needs no database."""
    database_log.error(
        "database unavailable: %s %s: %s", request.method, request.path, exception,
        exc_info=exception is not None and (type(exception), exception, exception.__traceback__),
    )
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(settings.DB_UNAVAILABLE_RETRY_AFTER)
    return response


def server_error(request):
    """handler500. Django calls it inside its `except` block, so the exception is still in sys.exc_info():
    a database outage raised outside a view (a session load in a middleware) still gets the 503 page."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_UNAVAILABLE):
        return database_unavailable(request, exception)
    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a plain explanation (usually an expired page or blocked cookies), in the
    visitor's language. The technical reason is logged, not shown."""
    logging.getLogger("platforma.security").warning(
        "csrf_failure", extra={"data": {"path": request.path, "reason": reason}}
    )
    return render(request, "403_csrf.html", status=403)


def bare(request):
    """The framework's ceiling for `make bench`: every middleware, no work. Routed only when
    settings.BENCHMARK_VIEW is on (env BENCHMARK=1), never in production."""
    return HttpResponse("ok", content_type="text/plain")
