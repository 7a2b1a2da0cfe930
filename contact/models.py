from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from institutions.models import Organisation

# The bounds of what a visitor may write; the form and the columns share them.
NAME_MAX = 100
EMAIL_MAX = 254  # RFC 5321's path limit (Django's model default; its form field allows 320)
SUBJECT_MAX = 150
MESSAGE_MIN = 10
MESSAGE_MAX = 5000


class ContactMessage(models.Model):
    """One message a visitor wrote through an organisation's contact page, sent or not: the log staff read
    (read-only) in the admin. The sender's address is seen by the recipients and by staff, nobody else."""

    class Status(models.TextChoices):
        SENT = "sent", _("sent")
        BLOCKED = "blocked", _("blocked")
        FAILED = "failed", _("failed")

    class Reason(models.TextChoices):
        NONE = "", _("none")
        HONEYPOT = "honeypot", _("hidden field filled (a robot)")
        RATE_LIMIT_IP = "rate_limit_ip", _("too many messages from this client address")
        RATE_LIMIT_ORGANISATION = "rate_limit_organisation", _("too many messages to this organisation")
        MAIL_ERROR = "mail_error", _("the mail server refused it")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contact_messages", verbose_name=_("organisation")
    )
    sender_name = models.CharField(_("sender's name"), max_length=NAME_MAX)
    sender_email = models.EmailField(_("sender's e-mail address"), max_length=EMAIL_MAX)
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    message = models.TextField(_("message"), max_length=MESSAGE_MAX)
    language = models.CharField(_("language"), max_length=10)
    copy_to_sender = models.BooleanField(_("copy sent to the sender"), default=False)
    sent_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    recipients = models.TextField(_("recipients"), blank=True, help_text=_("One address a line."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("contact message")
        verbose_name_plural = _("contact messages")

    def __str__(self):
        return self.subject
