from django.contrib.auth import views as auth_views
from django.urls import path

from institutions import partner_views

from . import views

app_name = "partners"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    # Editing (institutions/partner_views.py); every view checks the organisation is the user's.
    path("organisations/<slug:slug>/", partner_views.organisation_edit, name="organisation"),
    path("organisations/<slug:slug>/competences/", partner_views.competences_edit, name="competences"),
    path("organisations/<slug:slug>/experiences/", partner_views.experience_list, name="experiences"),
    path("organisations/<slug:slug>/experiences/new/", partner_views.experience_edit, name="experience_add"),
    path("organisations/<slug:slug>/experiences/<int:pk>/", partner_views.experience_edit, name="experience"),
    path(
        "organisations/<slug:slug>/experiences/<int:pk>/delete/",
        partner_views.experience_delete,
        name="experience_delete",
    ),
]
