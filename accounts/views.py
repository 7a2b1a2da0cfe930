"""Logging in and out, password reset and the lockout after failed log-ins (django-axes)."""

import logging

from axes.utils import reset as reset_lockout
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from .forms import PartnerPasswordResetForm
from .models import normalise_email


class LoginView(auth_views.LoginView):
    # An authenticated visitor goes straight on; `next` is only followed to this site (Django checks it).
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You are logged out."))
        return response


security_log = logging.getLogger("platforma.security")


def _reset_address(group, request):
    return normalise_email(request.POST.get("email", ""))


def password_reset_limited(request):
    """Counts this request against both limits (per address asked for and per client address) and says
    whether either is exceeded."""
    by_address = is_ratelimited(
        request, group="password-reset-address", key=_reset_address,
        rate=settings.PASSWORD_RESET_RATE_PER_ADDRESS, method="POST", increment=True,
    )  # fmt: skip
    by_ip = is_ratelimited(
        request, group="password-reset-ip", key="ip",
        rate=settings.PASSWORD_RESET_RATE_PER_IP, method="POST", increment=True,
    )  # fmt: skip
    return by_address or by_ip


class PasswordResetView(auth_views.PasswordResetView):
    """Answers the same whether or not the address has an account (no enumeration); the e-mail is written
    in the language of the page it was asked from. Beyond the rate limits (mail bombing) nothing is sent,
    and the answer is still the same page."""

    form_class = PartnerPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("partners:password_reset_done")

    def form_valid(self, form):
        if password_reset_limited(self.request):
            security_log.warning("password_reset_rate_limited", extra={"data": {"path": self.request.path}})
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("partners:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever can read the account's mail may log in again: the lockout page recommends this way out.
        reset_lockout(username=normalise_email(form.user.email))
        return response


def lockout(request, original_response=None, credentials=None):
    """django-axes calls this when an account-and-address pair is locked out (AXES_LOCKOUT_CALLABLE);
    axes itself logs the lockout."""
    minutes = round(float(settings.AXES_COOLOFF_TIME) * 60) if settings.AXES_COOLOFF_TIME else None
    return render(request, "registration/lockout.html", {"minutes": minutes}, status=429)


def axes_username(request, credentials):
    """Count failures per address as log-in finds it (normalise_email): one count per account."""
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get(
        settings.AXES_USERNAME_FORM_FIELD, ""
    )
    # Kept within axes' column (255 characters) and without NUL, which PostgreSQL refuses: a pasted novel
    # or a NUL byte in the e-mail field must fail as a wrong login, not as a server error.
    return normalise_email(username.replace("\x00", ""))[:255]
