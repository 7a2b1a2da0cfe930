"""IATI XML, under the language prefix like the other public pages."""

from django.urls import path

from institutions.cache import cache_public_page

from . import views

app_name = "iati"

urlpatterns = [
    path("organisations/<slug:slug>/iati.xml", cache_public_page()(views.organisation_iati), name="organisation"),
    # Streams: not cached (a cached copy would hold the whole file in memory).
    path("export.iati.xml", views.export_iati, name="export"),
]
