"""IATI XML files and the open data page."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language, gettext

from directory.views import organisation_search
from experiences.models import Experience
from institutions.models import Organisation

from . import iati

# Like the other exports: a search matching more activities than this answers 400 and asks for narrower
# criteria, rather than a file cut short without saying so.
IATI_EXPORT_LIMIT = 10_000
XML = "application/xml; charset=utf-8"


def _prefix_note():
    return gettext(
        "The organisation has no IATI organisation identifier in the directory: this activity's identifier "
        "uses the directory's own prefix %(prefix)s."
    ) % {"prefix": settings.IATI_PREFIX}


def organisation_iati(request, slug):
    """The organisation's experiences as IATI activities, newest first."""
    return organisation_document(get_object_or_404(Organisation.objects.published(), slug=slug))


def export_iati(request):
    """The experiences of the organisations a search matches, as IATI activities, streamed."""
    experiences = search_experiences(organisation_search(request).qs)
    if message := too_many(experiences):
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    return search_document(experiences)


# --- what the pages above and the API (api/v1.py) answer -------------------------------------------


def organisation_document(organisation):
    """The IATI file of one published organisation, in the active language."""
    experiences = organisation.experiences.order_by("-start_date", "id")
    body = b"".join(iati.document(iati.batches(experiences), get_language(), _prefix_note()))
    response = HttpResponse(body, content_type=XML)
    response["Content-Disposition"] = f'inline; filename="{organisation.slug}-iati.xml"'
    return response


def search_experiences(organisations):
    """The experiences of these organisations (a search's results), in the order of the IATI export."""
    return Experience.objects.filter(organisation__in=organisations).order_by("organisation_id", "-start_date", "id")


def too_many(experiences):
    """Why these experiences are too many for one IATI file (IATI_EXPORT_LIMIT), or None."""
    count = experiences.count()
    if count <= IATI_EXPORT_LIMIT:
        return None
    return gettext(
        "This search matches %(count)d activities; an IATI export holds at most %(limit)d. "
        "Narrow the search (by country, sector or years, for example) and try again."
    ) % {"count": count, "limit": IATI_EXPORT_LIMIT}


def search_document(experiences):
    """The IATI file of a search's experiences, streamed, in the active language."""
    chunks = iati.document(iati.batches(experiences), get_language(), _prefix_note())
    response = StreamingHttpResponse(chunks, content_type=XML)
    response["Content-Disposition"] = 'attachment; filename="organisations-iati.xml"'
    return response


def open_data(request):
    """What can be reused, where, and under which licence."""
    ctx = {"iati_prefix": settings.IATI_PREFIX, "iati_limit": IATI_EXPORT_LIMIT}
    return render(request, "api/open_data.html", ctx)
