from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from institutions.models import Organisation


class Membership(models.Model):
    """Partner access: this user may edit this organisation. Managed by staff."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner access")
        verbose_name_plural = _("partner accesses")
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_once")]

    def __str__(self):
        return f"{self.user} → {self.organisation}"


class DonorProposal(models.Model):
    """A donor a partner did not find in the list, proposed for staff to add (partners.views.donor_propose).
    Confirming it in the admin creates the donor; until then nothing public changes."""

    MAX_PENDING = 10  # proposals one organisation may have waiting at once

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="donor_proposals", verbose_name=_("organisation")
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("proposed by")
    )
    name = models.CharField(_("name"), max_length=255)
    acronym = models.CharField(_("acronym"), max_length=50, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    donor = models.ForeignKey(
        "experiences.Donor",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("donor added"),
        help_text=_("Set when staff confirm the proposal."),
    )
    rejected = models.BooleanField(_("rejected"), default=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("donor proposal")
        verbose_name_plural = _("donor proposals")

    def __str__(self):
        return f"{self.acronym} – {self.name}" if self.acronym else self.name

    @property
    def status(self):
        """What became of it, as the partner and staff read it."""
        if self.donor_id:
            return _("Added to the list")
        return _("Not added") if self.rejected else _("Waiting for staff")


class Reminder(models.Model):
    """A reminder sent to an organisation's partners that its profile has not been updated for a year
    (partners/reminders.py). One per organisation, last update and round: the database refuses a second,
    so two senders running at once send it once."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("organisation")
    )
    last_update = models.DateTimeField(_("profile last updated"))  # the update it reminds of
    round = models.PositiveSmallIntegerField(_("round"))  # 1: a year after it, 2: 30 days after the first
    sent = models.DateTimeField(_("sent"), auto_now_add=True)
    recipients = models.TextField(_("sent to"))

    class Meta:
        ordering = ["-sent"]
        verbose_name = _("update reminder")
        verbose_name_plural = _("update reminders")
        constraints = [models.UniqueConstraint(fields=["organisation", "last_update", "round"], name="reminder_once")]

    def __str__(self):
        return f"{self.organisation} ({self.sent:%Y-%m-%d})"


class RemindersOff(models.Model):
    """Staff switched the update reminders off for this organisation (the admin's organisation actions)."""

    organisation = models.OneToOneField(
        Organisation,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="reminders_off",
        verbose_name=_("organisation"),
    )
    since = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("update reminders switched off")
        verbose_name_plural = _("update reminders switched off")

    def __str__(self):
        return str(self.organisation)


# The bounds of what a visitor may type on the join pages; the forms and the columns share them.
JOIN_NAME_MAX = 100
JOIN_EMAIL_MAX = 254  # RFC 5321's path limit (the form field's own default, 320, is longer than the column)
JOIN_POSITION_MAX = 100
JOIN_MESSAGE_MIN = 10
JOIN_MESSAGE_MAX = 2000
JOIN_ORGANISATION_NAME_MAX = 255  # Organisation.name's
JOIN_CITY_MAX = 120  # Organisation.city's


class JoinRequest(models.Model):
    """Someone asked, on /<lang>/join/, for an organisation to be listed (LISTING) or for partner access to a
    published one (ACCESS). Staff with the permission `partners.review_joinrequest` accept or refuse it once
    (partners/joining.py); the asker is written to in the language of the page they asked from."""

    class Kind(models.TextChoices):
        LISTING = "listing", _("list a new organisation")
        ACCESS = "access", _("partner access to a listed organisation")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for a decision")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")

    kind = models.CharField(_("request"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    language = models.CharField(_("language"), max_length=10)
    created = models.DateTimeField(_("asked on"), auto_now_add=True, db_index=True)
    # The person asking.
    name = models.CharField(_("name"), max_length=JOIN_NAME_MAX)
    email = models.EmailField(_("e-mail address"), max_length=JOIN_EMAIL_MAX)
    position = models.CharField(_("role or position"), max_length=JOIN_POSITION_MAX, blank=True)
    message = models.TextField(_("a few words"), max_length=JOIN_MESSAGE_MAX)
    # LISTING: the organisation to list, as the asker describes it.
    organisation_name = models.CharField(_("organisation's name"), max_length=JOIN_ORGANISATION_NAME_MAX, blank=True)
    organisation_kind = models.CharField(_("kind"), max_length=32, choices=Organisation.Kind.choices, blank=True)
    country = CountryField(_("country"), blank=True)
    city = models.CharField(_("city"), max_length=JOIN_CITY_MAX, blank=True)
    # ACCESS: the organisation asked for; LISTING: the organisation created on acceptance.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="join_requests",
        verbose_name=_("organisation"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    decision_message = models.TextField(
        _("message to the asker"), max_length=JOIN_MESSAGE_MAX, blank=True,
        help_text=_("Sent with a refusal, when staff wrote one."),
    )  # fmt: skip

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        permissions = [("review_joinrequest", _("Can accept or refuse join requests"))]

    def __str__(self):
        return f"{self.name} – {self.target}"

    @property
    def target(self):
        """The organisation asked about: the one in the directory (asked for, or created on acceptance), else
        the name typed."""
        return self.organisation or self.organisation_name

    @property
    def pending(self):
        return self.state == self.State.PENDING
