"""What becomes of a join request (partners.models.JoinRequest): staff are told of it, then one of them
accepts or refuses it, once.

- Accepting a request to be listed creates the organisation unpublished (staff publish it when its profile
  is ready) and invites the asker as its partner; accepting a request for access invites the asker as a
  partner of the organisation asked for. Either way through the one invitation (partners/invitations.py):
  a new account gets a link to choose a password, an existing one is told it may log in.
- Refusing sends the asker a polite message, with the reviewer's own words when they wrote some.

Each decision locks the request's row and records who decided and when, in the transaction that sends the
mail: two reviewers at once cannot both decide, and a mail server that refuses the mail leaves the request
waiting, with nothing created."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from institutions.mail import templated_mail
from institutions.models import Organisation

from .invitations import invite_partner
from .models import JoinRequest

REVIEW_PERMISSION = "partners.review_joinrequest"


class AlreadyDecided(Exception):
    """Someone decided this request already (or its organisation is gone): nothing was done."""


def may_review(user):
    """Staff who may see the queue and decide: the dedicated permission (superusers have every one)."""
    return user.is_active and user.is_staff and user.has_perm(REVIEW_PERMISSION)


def reviewers():
    """The active staff who may decide, told of each new request."""
    app_label, codename = REVIEW_PERMISSION.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    granted = Q(is_superuser=True) | Q(user_permissions__in=permission) | Q(groups__permissions__in=permission)
    return get_user_model().objects.filter(granted, is_active=True, is_staff=True).distinct().order_by("email")


def notify_staff(join_request):
    """One mail to each reviewer, in the site's language (accounts keep no language of their own), with the
    links to the request and to the queue. Sent only for requests the page kept, so the rate limits of the
    join page bound these mails too."""
    with translation.override(settings.LANGUAGE_CODE):
        queue = reverse("admin:partners_joinrequest_changelist") + "?state__exact=pending"
        ctx = {
            "join_request": join_request,
            "request_link": settings.SITE_URL + reverse("admin:partners_joinrequest_change", args=[join_request.pk]),
            "queue_link": settings.SITE_URL + queue,
            "language_name": translation.get_language_info(join_request.language)["name_translated"],
        }
        mails = [templated_mail("partners/join/email/staff", ctx, [user.email]) for user in reviewers()]
    for message in mails:
        message.send()
    return len(mails)


def _decided(join_request, by, state):
    join_request.state = state
    join_request.decided_by = by
    join_request.decided_at = timezone.now()


def _locked_pending(join_request):
    locked = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if not locked.pending:
        raise AlreadyDecided
    return locked


def accept(join_request, by):
    """Returns the organisation the asker may now edit."""
    with transaction.atomic():
        locked = _locked_pending(join_request)
        if locked.kind == JoinRequest.Kind.LISTING:
            organisation = Organisation(
                kind=locked.organisation_kind, country=locked.country, city=locked.city, published=False
            )
            setattr(organisation, f"name_{locked.language}", locked.organisation_name)
            organisation.save()
            locked.organisation = organisation
        elif locked.organisation is None:  # deleted since it was asked for
            raise AlreadyDecided
        _decided(locked, by, JoinRequest.State.ACCEPTED)
        locked.save()
        invite_partner(locked.email, locked.organisation, locked.language)
    return locked.organisation


def refuse(join_request, by, message=""):
    """Returns the organisation asked for (None for a request to be listed)."""
    with transaction.atomic():
        locked = _locked_pending(join_request)
        _decided(locked, by, JoinRequest.State.REFUSED)
        locked.decision_message = message
        locked.save()
        with translation.override(locked.language):
            ctx = {"join_request": locked, "secretariat": settings.CONTACT_EMAIL, "site_url": settings.SITE_URL}
            templated_mail("partners/join/email/refused", ctx, [locked.email]).send()
    return locked.organisation
