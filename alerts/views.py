"""Following a search by e-mail: subscribe (double opt-in), confirm, manage, unsubscribe.

No account and no enumeration: asking to follow a search answers the same page whether the address is new,
waiting for confirmation or subscribed already (each gets the mail that fits: a confirmation link, or the link
to manage the alert). Abuse: a hidden field robots fill (answered as done, nothing stored or sent); rate limits
per client address (over it: 429, nothing sent) and per address typed (over it: the same answer, nothing
sent), as the contact form's; bounded lengths; CSRF, except on the one-click unsubscribe (RFC 8058: a mail
program POSTs the link, with no token)."""

import logging

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from accounts.models import normalise_email

from . import digests, links, searches
from .forms import FrequencyForm, SubscribeForm
from .models import CRITERIA_MAX, Subscription

security_log = logging.getLogger("platforma.security")
mail_log = logging.getLogger(__name__)


def _ip_limited(request):
    return is_ratelimited(
        request, group="alerts-ip", key="ip", rate=settings.ALERTS_RATE_PER_IP, method="POST", increment=True
    )


def _address_limited(request, address):
    """Mails to one address, whoever asks: nobody can flood a mailbox with confirmation requests."""
    return is_ratelimited(
        request, group="alerts-address", key=lambda group, request: address,
        rate=settings.ALERTS_RATE_PER_ADDRESS, method="POST", increment=True,
    )  # fmt: skip


def _subscribe(search, criteria, data):
    """The subscription for this address and search, made or found, and the mail it should receive."""
    fields = {"email": normalise_email(data["email"]), "search": search, "criteria": criteria}
    try:
        with transaction.atomic():
            subscription, created = Subscription.objects.get_or_create(
                **fields, defaults={"frequency": data["frequency"], "language": get_language()}
            )
    except IntegrityError:  # the same request, twice at once
        subscription = Subscription.objects.get(**fields)
    if subscription.confirmed:
        return digests.already_message(subscription)
    # Waiting for confirmation: the choices of this request, and a new link.
    subscription.frequency, subscription.language, subscription.asked = (
        data["frequency"], get_language(), timezone.now()
    )  # fmt: skip
    subscription.save(update_fields=["frequency", "language", "asked"])
    return digests.confirmation_message(subscription)


def _follow(request, search):
    criteria = searches.canonical(search, request.GET)
    too_long = len(criteria) > CRITERIA_MAX
    status = 200
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not too_long:
        if not form.is_valid():
            status = 400
        elif form.from_robot:
            security_log.info("alerts_honeypot", extra={"data": {"path": request.path}})
            return redirect("alerts:asked")
        elif _ip_limited(request):
            security_log.warning("alerts_rate_limited", extra={"data": {"path": request.path, "reason": "ip"}})
            form.add_error(None, _("Too many requests were made recently from your connection. Nothing was sent: "
                                   "please try again later."))  # fmt: skip
            status = 429
        else:
            if not _address_limited(request, normalise_email(form.cleaned_data["email"])):
                try:
                    _subscribe(search, criteria, form.cleaned_data).send()
                except OSError:  # the mail server is unreachable or refused it
                    mail_log.exception("alert_mail_not_sent")
                    form.add_error(None, _("The e-mail could not be sent just now. Please try again later."))
                    status = 503
            if status == 200:
                return redirect("alerts:asked")
    ctx = {
        "form": form,
        "too_long": too_long,
        "kind": search,
        "search": searches.described(search, criteria),
        "search_url": searches.page_url(search, criteria),
    }
    return render(request, "alerts/subscribe.html", ctx, status=400 if too_long else status)


@require_http_methods(["GET", "POST"])
def subscribe(request):
    return _follow(request, Subscription.Search.ORGANISATIONS)


@require_http_methods(["GET", "POST"])
def subscribe_experiences(request):
    return _follow(request, Subscription.Search.EXPERIENCES)


def asked(request):
    return render(request, "alerts/asked.html", {"days": settings.ALERTS_CONFIRM_DAYS})


def _bad_link(request, status):
    """A link that is not ours or has expired (400), or names an alert that no longer exists (404)."""
    return render(request, "alerts/bad_link.html", {"gone": status == 404}, status=status)


def _linked(request, token, purpose):
    """(the subscription the link names, None) or (None, the answer to give)."""
    try:
        subscription = links.subscription_of(token, purpose)
    except links.BadLink:
        security_log.info("alerts_bad_link", extra={"data": {"path": request.path}})
        return None, _bad_link(request, 400)
    if subscription is None:
        return None, _bad_link(request, 404)
    return subscription, None


def _summary(subscription):
    return {
        "subscription": subscription,
        "search": searches.described(subscription.search, subscription.criteria),
        "search_url": searches.page_url(subscription.search, subscription.criteria),
    }


@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """The link asks, the button confirms: a mail scanner opening links does not subscribe anyone."""
    subscription, answer = _linked(request, token, links.CONFIRM)
    if answer:
        return answer
    if request.method == "POST":
        if not subscription.confirmed:
            subscription.confirmed = timezone.now()
            subscription.save(update_fields=["confirmed"])
        messages.success(request, _("Your alert is confirmed: the first e-mail comes when the period ends, "
                                    "if there is something new."))  # fmt: skip
        return redirect("alerts:manage", token=links.token(subscription, links.MANAGE))
    return render(request, "alerts/confirm.html", _summary(subscription))


@require_http_methods(["GET", "POST"])
def manage(request, token):
    subscription, answer = _linked(request, token, links.MANAGE)
    if answer:
        return answer
    form = FrequencyForm(request.POST or None, initial={"frequency": subscription.frequency})
    if request.method == "POST":
        if form.is_valid():
            subscription.frequency = form.cleaned_data["frequency"]
            subscription.save(update_fields=["frequency"])
            messages.success(request, _("Your alert is saved."))
            return redirect(request.path)
    ctx = {**_summary(subscription), "form": form, "unsubscribe_token": token}
    return render(request, "alerts/manage.html", ctx, status=400 if form.errors else 200)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET asks, with a button; POST unsubscribes (the button, or a mail program's one-click POST)."""
    subscription, answer = _linked(request, token, links.MANAGE)
    if request.method == "POST":
        if subscription is None and answer.status_code == 400:
            return answer
        if subscription is not None:
            subscription.delete()
        return render(request, "alerts/unsubscribed.html")
    if answer:
        return answer
    return render(request, "alerts/unsubscribe.html", _summary(subscription))
