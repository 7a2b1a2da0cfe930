from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
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
