from django.urls import path

from . import exports, feeds, views

app_name = "directory"

urlpatterns = [
    path("", views.search, name="search"),
    path("print/", views.print_results, name="print_results"),
    path("feed/rss/", feeds.OrganisationsFeed(), name="feed_rss"),
    path("feed/atom/", feeds.OrganisationsAtomFeed(), name="feed_atom"),
    path("export.csv", exports.export_csv, name="export_csv"),
    path("export.json", exports.export_json, name="export_json"),
    path("organisations/<slug:slug>/", views.profile, name="profile"),
]
