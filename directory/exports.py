"""CSV and JSON exports of the organisations matching a search, streamed so memory stays flat.

Rows are read in chunks (.iterator with prefetching per chunk) and written as they come; codes come
with their labels in the language of the request."""

import csv
import json

from django.http import StreamingHttpResponse
from django.utils import translation

from .criteria import experience_count
from .views import organisation_search, with_competences

CHUNK_SIZE = 500
COLUMNS = [
    "slug",
    "url",
    "name_fr",
    "name_en",
    "acronym",
    "kind",
    "kind_label",
    "street",
    "zip_code",
    "city",
    "country",
    "country_name",
    "website",
    "email",
    "telephone",
    "fax",
    "competences",
    "competence_labels",
    "experiences",
    "updated",
]
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _rows(request):
    """One dict per organisation, in the order of the search page."""
    queryset = with_competences(organisation_search(request).qs.annotate(experience_count=experience_count()))
    for organisation in queryset.iterator(chunk_size=CHUNK_SIZE):
        competences = [c.sector for c in organisation.competences.all()]
        yield {
            "slug": organisation.slug,
            "url": request.build_absolute_uri(organisation.get_absolute_url()),
            "name_fr": organisation.name_fr or "",
            "name_en": organisation.name_en or "",
            "acronym": organisation.acronym,
            "kind": organisation.kind,
            "kind_label": str(organisation.get_kind_display()),
            "street": organisation.street,
            "zip_code": organisation.zip_code,
            "city": organisation.city,
            "country": organisation.country.code,
            "country_name": str(organisation.country.name),
            "website": organisation.website,
            "email": organisation.email,
            "telephone": organisation.telephone,
            "fax": organisation.fax,
            "competences": [s.code for s in competences],
            "competence_labels": [s.name for s in competences],
            "experiences": organisation.experience_count,
            "updated": organisation.updated.isoformat(),
        }


def _in_language(language, rows):
    # The body is produced after the view returns: keep the request's language for the labels.
    with translation.override(language):
        yield from rows


def _safe_cell(value):
    if isinstance(value, list):
        value = " | ".join(value)
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Echo:
    """csv.writer writes into this and gets the line back, so each row can be yielded."""

    def write(self, value):
        return value


def export_csv(request):
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(COLUMNS)
        for row in _rows(request):
            yield writer.writerow([_safe_cell(row[column]) for column in COLUMNS])

    response = StreamingHttpResponse(
        _in_language(translation.get_language(), lines()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="organisations.csv"'
    return response


def export_json(request):
    def chunks():
        yield "["
        for n, row in enumerate(_rows(request)):
            yield ("," if n else "") + "\n" + json.dumps(row, ensure_ascii=False)
        yield "\n]\n"

    response = StreamingHttpResponse(
        _in_language(translation.get_language(), chunks()), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="organisations.json"'
    return response
