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
    organisation = get_object_or_404(Organisation.objects.published(), slug=slug)
    experiences = organisation.experiences.order_by("-start_date", "id")
    body = b"".join(iati.document(iati.batches(experiences), get_language(), _prefix_note()))
    response = HttpResponse(body, content_type=XML)
    response["Content-Disposition"] = f'inline; filename="{organisation.slug}-iati.xml"'
    return response


def export_iati(request):
    """The experiences of the organisations a search matches, as IATI activities, streamed."""
    organisations = organisation_search(request).qs
    experiences = Experience.objects.filter(organisation__in=organisations).order_by(
        "organisation_id", "-start_date", "id"
    )
    count = experiences.count()
    if count > IATI_EXPORT_LIMIT:
        message = gettext(
            "This search matches %(count)d activities; an IATI export holds at most %(limit)d. "
            "Narrow the search (by country, sector or years, for example) and try again."
        ) % {"count": count, "limit": IATI_EXPORT_LIMIT}
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    chunks = iati.document(iati.batches(experiences), get_language(), _prefix_note())
    response = StreamingHttpResponse(chunks, content_type=XML)
    response["Content-Disposition"] = 'attachment; filename="organisations-iati.xml"'
    return response


def open_data(request):
    """What can be reused, where, and under which licence."""
    ctx = {"iati_prefix": settings.IATI_PREFIX, "iati_limit": IATI_EXPORT_LIMIT}
    return render(request, "api/open_data.html", ctx)
