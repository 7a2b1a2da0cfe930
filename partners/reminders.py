"""Update reminders: a year after an organisation's profile was last updated, its partners receive an e-mail
saying what the profile lacks, with links to edit it; 30 days later, if nothing changed, a second one. Run
once a day (`manage.py send_reminders`, from cron or deploy/platforma-reminders.timer).

Each reminder is recorded (Reminder) in the same transaction as its sending, under a unique constraint:
a second sender running at the same time waits on the first's row, then finds it there and skips it."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from institutions.completeness import missing_fields, with_counts
from institutions.models import Organisation

from .models import Membership, Reminder, RemindersOff

FIRST_AFTER = timedelta(days=365)  # after the last update
SECOND_AFTER = timedelta(days=30)  # after the first reminder, when nothing changed since
LANGUAGES = ("fr", "en")  # a partner's language is not known: each reminder speaks both, French first


def due(now):
    """(organisation, round) for every reminder to send at `now`."""
    partnered = Membership.objects.filter(organisation=OuterRef("pk"), user__is_active=True)
    candidates = with_counts(
        Organisation.objects.filter(Exists(partnered), reminders_off=None, updated__lte=now - FIRST_AFTER)
    )
    sent = {}
    for reminder in Reminder.objects.filter(organisation__in=candidates.values("pk")):
        sent.setdefault((reminder.organisation_id, reminder.last_update), {})[reminder.round] = reminder.sent
    for organisation in candidates.order_by("pk"):
        rounds = sent.get((organisation.pk, organisation.updated), {})
        if 1 not in rounds:
            yield organisation, 1
        elif 2 not in rounds and rounds[1] <= now - SECOND_AFTER:
            yield organisation, 2


def reminder_state(organisation):
    """What the partner dashboard says of the reminders: (the last one sent for the current update or None,
    the date the next is due or None when they are switched off)."""
    if RemindersOff.objects.filter(organisation=organisation).exists():
        return None, None
    sent = Reminder.objects.filter(organisation=organisation, last_update=organisation.updated).order_by("round")
    sent = list(sent)
    if not sent:
        return None, organisation.updated + FIRST_AFTER
    last = sent[-1]
    return last, (last.sent + SECOND_AFTER if last.round == 1 else None)


def send_due_reminders(now=None):
    """Sends what is due; returns the number of reminders sent."""
    now = now or timezone.now()
    count = 0
    for organisation, round in due(now):
        try:
            with transaction.atomic():
                sent = _send(organisation, round)
        except IntegrityError:  # another sender recorded it first
            continue
        count += sent
    return count


def _send(organisation, round):
    recipients = sorted(
        Membership.objects.filter(organisation=organisation, user__is_active=True).values_list("user__email", flat=True)
    )
    if not recipients:
        return 0
    Reminder.objects.create(
        organisation=organisation, last_update=organisation.updated, round=round, recipients=", ".join(recipients)
    )
    # One e-mail per partner: no partner sees another's address.
    for email in recipients:
        reminder_message(organisation, round, email).send()
    return 1


def reminder_message(organisation, round, recipient):
    """The e-mail, plain text with an HTML alternative, in French then English."""
    parts = []
    for language in LANGUAGES:
        with translation.override(language):
            parts.append(
                {
                    "language": language,
                    "organisation": organisation.name,
                    "missing": [str(label) for label in missing_fields(organisation)],
                    "last_update": organisation.updated,
                    "edit": settings.SITE_URL + reverse("partners:organisation", args=[organisation.slug]),
                    "experiences": settings.SITE_URL + reverse("partners:experiences", args=[organisation.slug]),
                    "profile": settings.SITE_URL + organisation.get_absolute_url(),
                }
            )
    context = {"parts": parts, "round": round}
    subject = " ".join(render_to_string("partners/reminder_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject, render_to_string("partners/reminder_email.txt", context), None, [recipient]
    )
    message.attach_alternative(render_to_string("partners/reminder_email.html", context), "text/html")
    return message
