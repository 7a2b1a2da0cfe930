"""Error pages. 400/403/404 use Django's default handlers with our templates (templates/4xx.html); the 500
and 503 pages are rendered without the request, so they work when the database or the session is broken."""

import logging
import sys

from django.conf import settings
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

database_log = logging.getLogger("platforma.database")


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
    from .middleware import DATABASE_UNAVAILABLE

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
