"""The contact page of a published organisation: a visitor writes to it without a mail client.

Abuse: a hidden field robots fill (their message is logged as blocked and answered as if sent, so they
learn nothing); rate limits per client address and per organisation (django-ratelimit, as the password
reset); bounded lengths; one-line name and subject. Every message is logged (ContactMessage) with what
became of it."""

import logging

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from institutions.models import Organisation

from .forms import ContactForm
from .mail import contact_mails, send
from .models import ContactMessage
from .recipients import recipients

security_log = logging.getLogger("platforma.security")
mail_log = logging.getLogger(__name__)
Reason = ContactMessage.Reason


def _published(slug):
    return get_object_or_404(Organisation.objects.published(), slug=slug)


def _limited(request, organisation):
    """Counts this message against the client address's limit and, when that one is not exceeded, against
    the organisation's (so one client cannot use up an organisation's allowance). Returns the reason it is
    refused, or None."""
    if is_ratelimited(
        request, group="contact-ip", key="ip", rate=settings.CONTACT_RATE_PER_IP, method="POST", increment=True
    ):
        return Reason.RATE_LIMIT_IP
    if is_ratelimited(
        request, group="contact-organisation", key=lambda group, request: str(organisation.pk),
        rate=settings.CONTACT_RATE_PER_ORGANISATION, method="POST", increment=True,
    ):  # fmt: skip
        return Reason.RATE_LIMIT_ORGANISATION
    return None


def _copy_allowed(request, address):
    """The sender's copy goes to whatever address was typed: at most CONTACT_COPIES_PER_ADDRESS to one
    address, however many clients type it (the form cannot be used to flood someone's mailbox)."""
    return not is_ratelimited(
        request, group="contact-copy", key=lambda group, request: address.casefold(),
        rate=settings.CONTACT_COPIES_PER_ADDRESS, method="POST", increment=True,
    )  # fmt: skip


def _log(organisation, form, addresses, status, reason=Reason.NONE):
    data = form.cleaned_data
    return ContactMessage.objects.create(
        organisation=organisation,
        sender_name=data["name"],
        sender_email=data["email"],
        subject=data["subject"],
        message=data["message"],
        language=get_language(),
        copy_to_sender=data["copy"] and status == ContactMessage.Status.SENT,
        recipients="\n".join(addresses),
        status=status,
        reason=reason,
    )


def _deliver(request, organisation, addresses, form):
    """Sends a valid message, or refuses it; logs it either way. Returns None when it is answered as sent,
    else the status of the form shown again with the reason."""
    if form.from_robot:  # counted against no limit: a robot must not use up an organisation's allowance
        _log(organisation, form, addresses, ContactMessage.Status.BLOCKED, Reason.HONEYPOT)
        security_log.info("contact_honeypot", extra={"data": {"path": request.path}})
        return None
    reason = _limited(request, organisation)
    if reason:
        _log(organisation, form, addresses, ContactMessage.Status.BLOCKED, reason)
        security_log.warning("contact_rate_limited", extra={"data": {"path": request.path, "reason": reason}})
        form.add_error(None, _("Too many messages were sent recently, from your connection or to this "
                               "organisation. Your message was not sent: please try again later."))
        return 429
    data = form.cleaned_data
    data["copy"] = data["copy"] and _copy_allowed(request, data["email"])
    profile_url = request.build_absolute_uri(organisation.get_absolute_url())
    try:
        send(contact_mails(organisation, addresses, data, get_language(), profile_url))
    except OSError:  # smtplib's errors are OSErrors: the mail server is unreachable or refused it
        mail_log.exception("contact_message_not_sent")
        _log(organisation, form, addresses, ContactMessage.Status.FAILED, Reason.MAIL_ERROR)
        form.add_error(None, _("Your message could not be sent just now. Please try again later."))
        return 503
    _log(organisation, form, addresses, ContactMessage.Status.SENT)
    return None


@require_http_methods(["GET", "POST"])
def contact(request, slug):
    organisation = _published(slug)
    addresses = recipients(organisation)
    if not addresses:
        return render(request, "contact/unavailable.html", {"organisation": organisation})
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST)
        status = _deliver(request, organisation, addresses, form) if form.is_valid() else 400
        if status is None:
            return redirect("contact:sent", slug=organisation.slug)
    else:
        form = ContactForm()
    return render(request, "contact/form.html", {"organisation": organisation, "form": form}, status=status)


def sent(request, slug):
    return render(request, "contact/sent.html", {"organisation": _published(slug)})
