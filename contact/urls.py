from django.urls import path

from . import views

app_name = "contact"

# Never in the public page cache: the form carries a CSRF token, and the pages are private by default
# (platforma.middleware.PrivateByDefaultMiddleware).
urlpatterns = [
    path("organisations/<slug:slug>/contact/", views.contact, name="form"),
    path("organisations/<slug:slug>/contact/sent/", views.sent, name="sent"),
]
