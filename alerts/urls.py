from django.urls import path

from . import views

app_name = "alerts"

# Never in the public page cache: forms with CSRF tokens and pages reached by personal links (private by
# default: platforma.middleware.PrivateByDefaultMiddleware).
urlpatterns = [
    path("alerts/", views.subscribe, name="subscribe"),
    path("alerts/experiences/", views.subscribe_experiences, name="subscribe_experiences"),
    path("alerts/asked/", views.asked, name="asked"),
    path("alerts/confirm/<str:token>/", views.confirm, name="confirm"),
    path("alerts/manage/<str:token>/", views.manage, name="manage"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
