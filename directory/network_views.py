"""The network of a search (/<lang>/partnerships/?<criteria>) and its CSV (partnerships.csv?<criteria>): the
organisation search's criteria, the pairs of directory/network.py."""

from django.conf import settings
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language

from .exports import FORMATS, csv_lines
from .network import network, shown_network
from .statistics import criteria_summary
from .views import _with_query, canonical_redirect, organisation_search


def network_query(filterset):
    """The canonical query string of the network: the organisation search's criteria, without its sort
    (the network has one order)."""
    return filterset.querystring(sort=None)


def canonical_network(request):
    return canonical_redirect(request, network_query(organisation_search(request)))


def partnerships_page(request):
    filterset = organisation_search(request)
    language = get_language()
    query = network_query(filterset)
    shown = shown_network(filterset, query, language)
    ctx = {
        "network": shown,
        "drawing": shown.drawing,
        "summary": criteria_summary(filterset, language),
        "links": {
            "search": _with_query(reverse("directory:search"), filterset.querystring()),
            "csv": _with_query(reverse("directory:partnerships_csv"), query),
        },
    }
    return render(request, "directory/partnerships.html", ctx)


CSV_COLUMNS = [
    "organisation_a", "organisation_a_name", "organisation_a_url", "organisation_b", "organisation_b_name",
    "organisation_b_url", "shared_actions", "countries", "country_names", "first_year", "last_year",
]  # fmt: skip


def partnerships_csv(request):
    """Every pair of the network, in the page's order, as CSV (the exports' format: quoted cells, a byte
    order mark); a network of more than EXPORT_STREAM_LIMIT pairs gets a page asking to narrow the search."""
    filterset = organisation_search(request)
    language, query = get_language(), network_query(filterset)
    limit = settings.EXPORT_STREAM_LIMIT
    count = shown_network(filterset, query, language).count  # from the cache when the page was seen
    if count > limit:
        page = _with_query(reverse("directory:partnerships"), query)
        ctx = {"limit": limit, "pairs": count, "page": page}
        return render(request, "directory/partnerships_too_large.html", ctx, status=400)
    found = network(filterset, language)
    absolute = request.build_absolute_uri
    rows = (
        {
            "organisation_a": pair.a.slug,
            "organisation_a_name": pair.a.name,
            "organisation_a_url": absolute(pair.a.url),
            "organisation_b": pair.b.slug,
            "organisation_b_name": pair.b.name,
            "organisation_b_url": absolute(pair.b.url),
            "shared_actions": pair.actions,
            "countries": pair.countries,
            "country_names": pair.country_names,
            "first_year": pair.first_year,
            "last_year": pair.last_year,
        }
        for pair in found.pairs
    )
    response = StreamingHttpResponse(csv_lines(CSV_COLUMNS, rows), content_type=FORMATS["csv"])
    response["Content-Disposition"] = 'attachment; filename="partnerships.csv"'
    response["X-Row-Count"] = str(found.count)
    return response
