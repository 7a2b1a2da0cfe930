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
