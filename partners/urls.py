from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views as accounts_views

from . import views

app_name = "partners"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", accounts_views.LoginView.as_view(), name="login"),
    path("logout/", accounts_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="partners/password_change_form.html",
            success_url=reverse_lazy("partners:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="partners/password_change_done.html"),
        name="password_change_done",
    ),
    path("password-reset/", accounts_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        accounts_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    # Editing; every view checks the organisation is the user's.
    path("organisations/<slug:slug>/", views.organisation_edit, name="organisation"),
    path("organisations/<slug:slug>/competences/", views.competences_edit, name="competences"),
    path("organisations/<slug:slug>/experiences/", views.experience_list, name="experiences"),
    path("organisations/<slug:slug>/experiences/new/", views.experience_edit, name="experience_add"),
    path("organisations/<slug:slug>/experiences/<int:pk>/", views.experience_edit, name="experience"),
    path(
        "organisations/<slug:slug>/experiences/participants/search/",
        views.organisation_search,
        name="organisation_search",
    ),
    path("organisations/<slug:slug>/donors/propose/", views.donor_propose, name="donor_propose"),
    path("organisations/<slug:slug>/changes/", views.history, name="history"),
    path(
        "organisations/<slug:slug>/experiences/<int:pk>/delete/",
        views.experience_delete,
        name="experience_delete",
    ),
]
