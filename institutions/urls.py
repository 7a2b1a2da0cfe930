from django.urls import path

from . import views
from .cache import cache_public_page

app_name = "directory"

urlpatterns = [
    # Anonymous visitors get cached pages, invalidated on every data change (institutions/cache.py).
    path("", cache_public_page()(views.search), name="search"),
    path("organisations/<slug:slug>/", cache_public_page()(views.profile), name="profile"),
    path("organisations/<slug:slug>/print/", cache_public_page()(views.profile_print), name="profile_print"),
]
