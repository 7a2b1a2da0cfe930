from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm

from .models import normalise_email


class PartnerPasswordResetForm(PasswordResetForm):
    def get_users(self, email):
        # Unlike Django's default, also a partner who was invited but never set a password (unusable
        # password) may ask for a new link. The address as normalised at log-in; active accounts only.
        return get_user_model()._default_manager.filter(email=normalise_email(email), is_active=True)
