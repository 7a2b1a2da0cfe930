from django.urls import path

from institutions.cache import cache_public_page

from . import experience_views, exports, feeds, network_views, statistics_views, views
from .limits import limit_expensive

app_name = "directory"

urlpatterns = [
    # Anonymous visitors get cached pages, invalidated on every data change (institutions/cache.py), keyed by
    # their canonical criteria: the search page redirects to them, the others only key by them.
    path("", cache_public_page(key=views.canonical_search)(views.search), name="search"),
    path(
        "print/",
        cache_public_page(key=views.criteria_key)(limit_expensive(views.print_results)),
        name="print_results",
    ),
    path("feed/rss/", cache_public_page(key=views.criteria_key)(feeds.OrganisationsFeed()), name="feed_rss"),
    path("feed/atom/", cache_public_page(key=views.criteria_key)(feeds.OrganisationsAtomFeed()), name="feed_atom"),
    # Exports: made on demand (streamed, not cached: a cached copy would hold the whole file in memory) or
    # redirected to the whole directory's files (directory/exports.py).
    path("export.csv", exports.export, {"dataset": "organisations", "fmt": "csv"}, name="export_csv"),
    path("export.xlsx", exports.export, {"dataset": "organisations", "fmt": "xlsx"}, name="export_xlsx"),
    path("export.json", exports.export, {"dataset": "organisations", "fmt": "json"}, name="export_json"),
    path("export-experiences.csv", exports.export, {"dataset": "experiences", "fmt": "csv"},
         name="export_experiences_csv"),
    path("export-experiences.xlsx", exports.export, {"dataset": "experiences", "fmt": "xlsx"},
         name="export_experiences_xlsx"),
    path("export-experiences.json", exports.export, {"dataset": "experiences", "fmt": "json"},
         name="export_experiences_json"),
    # The experiences list, with its print view, feeds and exports (directory/experience_views.py).
    path(
        "experiences/",
        cache_public_page(key=experience_views.canonical_experience_search)(experience_views.experiences),
        name="experiences",
    ),
    path(
        "experiences/print/",
        cache_public_page(key=experience_views.experience_criteria_key)(
            limit_expensive(experience_views.experiences_print)
        ),
        name="experiences_print",
    ),
    path(
        "experiences/feed/rss/",
        cache_public_page(key=experience_views.experience_criteria_key)(feeds.ExperiencesFeed()),
        name="experiences_feed_rss",
    ),
    path(
        "experiences/feed/atom/",
        cache_public_page(key=experience_views.experience_criteria_key)(feeds.ExperiencesAtomFeed()),
        name="experiences_feed_atom",
    ),
    path("experiences/export.csv", exports.export_experience_list, {"fmt": "csv"}, name="experiences_csv"),
    path("experiences/export.xlsx", exports.export_experience_list, {"fmt": "xlsx"}, name="experiences_xlsx"),
    path("experiences/export.json", exports.export_experience_list, {"fmt": "json"}, name="experiences_json"),
    path(
        "statistics/",
        cache_public_page(key=statistics_views.canonical_statistics)(limit_expensive(statistics_views.statistics_page)),
        name="statistics",
    ),
    path(
        "statistics.csv",
        cache_public_page(key=statistics_views.statistics_key)(limit_expensive(statistics_views.statistics_csv)),
        name="statistics_csv",
    ),
    # The network of the organisation search (directory/network_views.py): expensive for a broad search.
    path(
        "partnerships/",
        cache_public_page(key=network_views.canonical_network)(limit_expensive(network_views.partnerships_page)),
        name="partnerships",
    ),
    path("partnerships.csv", limit_expensive(network_views.partnerships_csv), name="partnerships_csv"),
    path("downloads/<slug:dataset>.<slug:fmt>", exports.download, name="download"),
    path("organisations/<slug:slug>/", cache_public_page(key=views.no_criteria_key)(views.profile), name="profile"),
    path(
        "organisations/<slug:slug>/print/",
        cache_public_page(key=views.no_criteria_key)(views.profile_print),
        name="profile_print",
    ),
]
