from django.urls import path

from institutions.cache import cache_public_page

from . import exports, feeds, views

app_name = "directory"

urlpatterns = [
    # Anonymous visitors get cached pages, invalidated on every data change (institutions/cache.py), keyed by
    # their canonical criteria: the search page redirects to them, the others only key by them.
    path("", cache_public_page(key=views.canonical_search)(views.search), name="search"),
    path("print/", cache_public_page(key=views.criteria_key)(views.print_results), name="print_results"),
    path("feed/rss/", cache_public_page(key=views.criteria_key)(feeds.OrganisationsFeed()), name="feed_rss"),
    path("feed/atom/", cache_public_page(key=views.criteria_key)(feeds.OrganisationsAtomFeed()), name="feed_atom"),
    # Exports stream: not cached (a cached copy would hold the whole file in memory).
    path("export.csv", exports.export_csv, name="export_csv"),
    path("export.json", exports.export_json, name="export_json"),
    path("organisations/<slug:slug>/", cache_public_page(key=views.no_criteria_key)(views.profile), name="profile"),
    path(
        "organisations/<slug:slug>/print/",
        cache_public_page(key=views.no_criteria_key)(views.profile_print),
        name="profile_print",
    ),
]
