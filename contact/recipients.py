"""Who receives an organisation's contact messages: the one rule, for the contact page, its mails and the
profile's "Contact" link."""

from django.db.models.signals import post_delete, post_save

from institutions.cache import data_changed
from partners.models import Membership


def recipients(organisation):
    """The addresses a message to this organisation goes to: its published e-mail address; when it has none,
    the active accounts of its partners (sorted). An empty list: it cannot be contacted through the site."""
    if organisation.email:
        return [organisation.email]
    return list(
        Membership.objects.filter(organisation=organisation, user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def connect_signals():
    """The profile (a cached public page) shows the "Contact" link only when there is someone to write to:
    a partner given or removed makes the cached pages stale, as an edit of the organisation does."""
    post_save.connect(data_changed, sender=Membership, dispatch_uid="contact-cache-save-membership")
    post_delete.connect(data_changed, sender=Membership, dispatch_uid="contact-cache-delete-membership")
