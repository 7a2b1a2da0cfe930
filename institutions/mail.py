"""A site e-mail from templates: the one shape every mail the site writes has (contact messages, invitations,
join requests): a one-line subject, a plain-text body and an HTML alternative, each from its own template,
rendered in the language active when it is called."""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def templated_mail(template, ctx, to, reply_to=()):
    """`template` names three files: `<template>_subject.txt`, `<template>.txt` and `<template>.html`."""
    subject = " ".join(render_to_string(f"{template}_subject.txt", ctx).split())
    message = EmailMultiAlternatives(
        subject, render_to_string(f"{template}.txt", ctx), None, list(to), reply_to=list(reply_to)
    )
    message.attach_alternative(render_to_string(f"{template}.html", ctx), "text/html")
    return message
