from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from institutions.models import Organisation

from .forms import PartnerPasswordResetForm


@login_required
def home(request):
    """The organisations this partner may edit (staff may edit any, from its address or the admin)."""
    organisations = Organisation.objects.filter(memberships__user=request.user).order_by("name")
    return render(request, "partners/home.html", {"organisations": organisations})


class LoginView(auth_views.LoginView):
    # An authenticated visitor goes straight on; `next` is only followed to this site (Django checks it).
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You are logged out."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Answers the same whether or not the address has an account (no enumeration); the e-mail is written
    in the language of the page it was asked from."""

    form_class = PartnerPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("partners:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("partners:password_reset_complete")


def lockout(request, original_response=None, credentials=None):
    """django-axes calls this when an account-and-address pair is locked out (AXES_LOCKOUT_CALLABLE);
    axes itself logs the lockout."""
    minutes = round(float(settings.AXES_COOLOFF_TIME) * 60) if settings.AXES_COOLOFF_TIME else None
    return render(request, "registration/lockout.html", {"minutes": minutes}, status=429)


def axes_username(request, credentials):
    """Count failures per address whatever its case: "Jane@X.org" and "jane@x.org" are one account."""
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get(
        settings.AXES_USERNAME_FORM_FIELD, ""
    )
    # Kept within axes' column (255 characters) and without NUL, which PostgreSQL refuses: a pasted novel
    # or a NUL byte in the e-mail field must fail as a wrong login, not as a server error.
    return username.replace("\x00", "").strip().lower()[:255]
