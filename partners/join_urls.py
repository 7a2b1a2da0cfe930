from django.urls import path

from . import join_views

app_name = "join"

# Never in the public page cache: the forms carry a CSRF token, and pages are private by default
# (platforma.middleware.PrivateByDefaultMiddleware).
urlpatterns = [
    path("", join_views.start, name="start"),
    path("organisation/", join_views.listing, name="listing"),
    path("access/", join_views.access, name="access"),
    path("thanks/", join_views.thanks, name="thanks"),
]
