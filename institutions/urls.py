from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.search, name="search"),
    path("organisations/<slug:slug>/", views.profile, name="profile"),
    path("organisations/<slug:slug>/print/", views.profile_print, name="profile_print"),
]
