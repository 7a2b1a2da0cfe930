from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from .models import normalise_email


class PartnerPasswordResetForm(PasswordResetForm):
    # The glossary's word (docs/glossary.md), as on the login page: not Django's "Email" ("Courriel").
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def get_users(self, email):
        # Unlike Django's default, also a partner who was invited but never set a password (unusable
        # password) may ask for a new link. The address as normalised at log-in; active accounts only.
        return get_user_model()._default_manager.filter(email=normalise_email(email), is_active=True)
