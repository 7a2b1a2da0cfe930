"""Staff invite a partner: account (if new) without a password, partner access, e-mail with a link to set
a password. The link is a password-reset token: it works once (setting the password changes what the
token is made of) and expires after PASSWORD_RESET_TIMEOUT."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import normalise_email
from institutions.mail import templated_mail

from .models import Membership

DEFAULT_LANGUAGE = "fr"


def invite_partner(email, organisation, language=DEFAULT_LANGUAGE):
    """Create the user if needed, give them access to `organisation`, send the invitation.
    Returns (user, created)."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(email=normalise_email(email)).first()
        created = user is None
        if created:
            user = User.objects.create_user(email)  # no password: unusable until they set one
        Membership.objects.get_or_create(user=user, organisation=organisation)
    send_invitation(user, language)
    return user, created


def send_invitation(user, language=DEFAULT_LANGUAGE):
    """The e-mail (plain text and HTML) is written in `language` (the staff's choice, or the language of a
    join request); links use SITE_URL, as there may be no request (management command). Someone who already
    has a password is told they may simply log in: the link then only replaces their password."""
    with translation.override(language):
        path = reverse(
            "partners:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        ctx = {
            "user": user,
            "organisations": [m.organisation for m in user.memberships.select_related("organisation")],
            "link": settings.SITE_URL + path,
            "login_link": settings.SITE_URL + reverse("partners:login"),
            "site_url": settings.SITE_URL,
            "has_password": user.has_usable_password(),
        }
        message = templated_mail("registration/invitation", ctx, [user.email])
    message.send()
