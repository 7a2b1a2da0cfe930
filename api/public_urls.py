"""The open data page and the IATI XML files, under the language prefix like the other public pages."""

from django.urls import path

from institutions.cache import cache_public_page

from . import views

app_name = "opendata"

urlpatterns = [
    path("organisations/<slug:slug>/iati.xml", cache_public_page()(views.organisation_iati), name="iati_organisation"),
    # Streams: not cached (a cached copy would hold the whole file in memory).
    path("export.iati.xml", views.export_iati, name="iati_export"),
    path("open-data/", cache_public_page()(views.open_data), name="open_data"),
]
