"""The links a subscriber receives, signed (django.core.signing, with the site's SECRET_KEY): each carries the
subscription's random key and a purpose, so a link cannot be made up, nor one kind used as another. The
confirmation link expires (settings.ALERTS_CONFIRM_DAYS); the manage and unsubscribe links, in every digest,
last as long as the subscription (RFC 8058 asks that an unsubscribe link keep working)."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

from .models import Subscription

CONFIRM, MANAGE = "alerts.confirm", "alerts.manage"
VIEWS = {"confirm": CONFIRM, "manage": MANAGE, "unsubscribe": MANAGE}


class BadLink(Exception):
    """The link was not made by this site, or has expired."""


def token(subscription, purpose):
    return signing.dumps(str(subscription.key), salt=purpose)


def url(subscription, view):
    """The absolute address of one of the subscription's pages, in its language."""
    with translation.override(subscription.language):
        path = reverse(f"alerts:{view}", args=[token(subscription, VIEWS[view])])
    return settings.SITE_URL + path


def subscription_key(value, purpose):
    """The subscription key a link carries; BadLink when it is forged, altered or expired."""
    max_age = timedelta(days=settings.ALERTS_CONFIRM_DAYS) if purpose == CONFIRM else None
    try:
        return signing.loads(value, salt=purpose, max_age=max_age)
    except signing.BadSignature as error:  # SignatureExpired is one
        raise BadLink from error


def subscription_of(value, purpose):
    """The subscription a link names, or None when it no longer exists; BadLink when the link is bad."""
    return Subscription.objects.filter(key=subscription_key(value, purpose)).first()
