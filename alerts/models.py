import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EMAIL_MAX = 254  # RFC 5321's path limit, as the contact form's
# The canonical query string of the search followed: longer ones are refused (a search nobody types, and the
# unique index on (email, search, criteria) must fit PostgreSQL's B-tree row limit).
CRITERIA_MAX = 2000


class Subscription(models.Model):
    """A visitor follows a search by e-mail (no account): its canonical criteria, in the language of the page
    they subscribed on. Digests go only to confirmed subscriptions (double opt-in); the links in the mails
    carry `key`, signed (alerts/links.py)."""

    class Search(models.TextChoices):
        ORGANISATIONS = "organisations", _("organisations")
        EXPERIENCES = "experiences", _("experiences")

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("weekly")
        MONTHLY = "monthly", _("monthly")

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("e-mail address"), max_length=EMAIL_MAX)
    search = models.CharField(_("search"), max_length=20, choices=Search.choices)
    criteria = models.CharField(_("criteria"), max_length=CRITERIA_MAX, blank=True)
    language = models.CharField(_("language"), max_length=10)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    created = models.DateTimeField(_("created"), default=timezone.now)
    # When the confirmation link was last mailed: an unconfirmed subscription is purged some days after it.
    asked = models.DateTimeField(_("confirmation asked"), default=timezone.now)
    confirmed = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("alert subscription")
        verbose_name_plural = _("alert subscriptions")
        constraints = [models.UniqueConstraint(fields=["email", "search", "criteria"], name="alert_subscription_once")]

    def __str__(self):
        return self.email


class Digest(models.Model):
    """One period of one subscription, done: its digest sent, or nothing to send (`items` 0). Written in the
    same transaction as the mail is sent, under a unique constraint: a second sender (another server, a
    restarted worker) waits on this row, then finds it and sends nothing."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="digests", verbose_name=_("subscription")
    )
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    items = models.PositiveIntegerField(_("new or updated matches"), default=0)
    done = models.DateTimeField(_("done"), default=timezone.now)

    class Meta:
        ordering = ["-period_start"]
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [models.UniqueConstraint(fields=["subscription", "period_start"], name="alert_digest_once")]

    def __str__(self):
        return f"{self.subscription} ({self.period_start:%Y-%m-%d})"
