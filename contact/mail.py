"""The mails a contact message makes: one to each recipient of the organisation, answered to the sender
(Reply-To), and the sender's copy. Each is plain text with an HTML alternative, from templates, in the
language of the page the message was written on."""

from django.conf import settings
from django.core.mail import mailers
from django.utils import translation

from institutions.mail import templated_mail


def _mail(template, ctx, to, reply_to=()):
    return templated_mail(f"contact/email/{template}", ctx, to, reply_to)


def contact_mails(organisation, addresses, data, language, profile_url):
    """The mails for this message (`data`: the contact form's cleaned data). Each recipient gets a mail of
    their own, so the partners of an organisation never see each other's addresses."""
    with translation.override(language):
        ctx = {"organisation": organisation, "profile_url": profile_url, "secretariat": settings.CONTACT_EMAIL, **data}
        mails = [_mail("organisation", ctx, [address], reply_to=[data["email"]]) for address in addresses]
        if data["copy"]:
            mails.append(_mail("copy", ctx, [data["email"]]))
    return mails


def send(mails):
    """All through one connection of the default mailer (settings.MAILERS)."""
    mailers.default.send_messages(mails)
