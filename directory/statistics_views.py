"""The statistics page (/<lang>/statistics/?<criteria>) and its CSV: the tables of directory/statistics.py
for the experiences list's criteria."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language

from institutions.formatting import country_names

from .criteria import OrganisationFilter, shared_criteria
from .experience_views import experience_search
from .exports import csv_lines
from .statistics import criteria_summary, statistics
from .views import _with_query, canonical_redirect
from .world_map import world_map


def canonical_statistics(request):
    """The statistics' URLs written one way only: the experiences list's criteria, without its sort."""
    return canonical_redirect(request, experience_search(request).querystring(sort=None))


def statistics_key(request):
    request.canonical_query = experience_search(request).querystring(sort=None)


def statistics_page(request):
    filterset = experience_search(request)
    language = get_language()
    query = filterset.querystring(sort=None)
    tables = statistics(filterset, language)
    ctx = {
        "filterset": filterset,
        "tables": tables,
        "map": countries_map(filterset, tables, language),
        "summary": criteria_summary(filterset, language),
        "links": {
            "csv": _with_query(reverse("directory:statistics_csv"), query),
            "experiences": _with_query(reverse("directory:experiences"), query),
            "organisations": _with_query(reverse("directory:search"), shared_criteria(filterset, OrganisationFilter)),
        },
    }
    return render(request, "directory/statistics.html", ctx)


def countries_map(filterset, tables, language):
    """The map of the table of experiences by country of action, each counted country a link to these
    statistics with that country as one more `worked_in` criterion."""
    (by_country,) = [table for table in tables if table.name == "country"]
    here = reverse("directory:statistics")

    def url_of(code):
        return _with_query(here, filterset.querystring_adding("worked_in", code, sort=None))

    counts = {row.key: row.count for row in by_country.rows if row.key}
    return world_map(counts, country_names(language), url_of)


STATISTICS_COLUMNS = ["table", "key", "label", "count", "amount"]


def statistics_csv(request):
    """Every table of the statistics page as one CSV: a line per row, `table` naming its table."""
    tables = statistics(experience_search(request), get_language())
    rows = (
        {"table": table.name, "key": row.key, "label": row.label, "count": row.count, "amount": row.amount}
        for table in tables
        for row in table.rows
    )
    response = HttpResponse(csv_lines(STATISTICS_COLUMNS, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="statistics.csv"'
    return response
