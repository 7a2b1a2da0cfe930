"""The digests: for each confirmed subscription, once its period (a week from Monday, or a calendar month,
in the site's time zone) is over, one e-mail listing the matches of its search created or updated in that
period, in the subscription's language; none when nothing is new. Run daily (`manage.py send_alerts`, from
cron or deploy/platforma-alerts.timer): the first run after a period ends sends it, the next ones find it done.

Each period done is recorded (Digest) in the same transaction as its mail is sent, under a unique constraint:
a second sender running at the same time (another server, a restarted run) waits on the first's row, then
finds it there and sends nothing. A mail that cannot be sent rolls its record back: the next run tries again."""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import links, searches
from .models import Digest, Subscription

log = logging.getLogger(__name__)
Frequency = Subscription.Frequency


def _midnight(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def last_period(frequency, now):
    """[start, end) of the last whole period before `now`: the week before this one (Monday to Monday), or
    the month before this one."""
    today = timezone.localdate(now)
    if frequency == Frequency.WEEKLY:
        end = today - datetime.timedelta(days=today.weekday())
        start = end - datetime.timedelta(days=7)
    else:
        end = today.replace(day=1)
        start = (end - datetime.timedelta(days=1)).replace(day=1)
    return _midnight(start), _midnight(end)


def due(frequency, start, end):
    """The ids of the confirmed subscriptions of this frequency whose period [start, end) is not done yet (those
    confirmed after it ended wait for the next)."""
    done = Digest.objects.filter(subscription=OuterRef("pk"), period_start=start)
    subscriptions = Subscription.objects.filter(frequency=frequency, confirmed__lt=end).exclude(Exists(done))
    return list(subscriptions.order_by("pk").values_list("pk", flat=True))


def send_digests(now=None, dry_run=False):
    """Sends the digests due at `now`; returns how many were sent (with dry_run: would be; nothing written)."""
    now = now or timezone.now()
    sent = 0
    for frequency in Frequency:
        start, end = last_period(frequency, now)
        for pk in due(frequency, start, end):
            subscription = Subscription.objects.filter(pk=pk).first()
            if subscription is None:  # unsubscribed meanwhile
                continue
            if dry_run:
                sent += bool(searches.matches(subscription, start, end)[1])
                continue
            try:
                with transaction.atomic():
                    sent += _send(subscription, start, end)
            except IntegrityError:  # another sender recorded it first
                continue
            except OSError:  # the mail server refused or is unreachable: tried again on the next run
                log.exception("alert_digest_not_sent", extra={"data": {"subscription": subscription.pk}})
    return sent


def _send(subscription, start, end):
    digest = Digest.objects.create(subscription=subscription, period_start=start, period_end=end)
    shown, total = searches.matches(subscription, start, end)
    if not total:
        return 0
    digest_message(subscription, start, end, shown, total).send()
    digest.items = total
    digest.save(update_fields=["items"])
    return 1


def purge_unconfirmed(days, now=None, dry_run=False):
    """Deletes the subscriptions never confirmed whose confirmation was last asked more than `days` ago;
    returns how many (with dry_run: would be)."""
    old = Subscription.objects.filter(confirmed=None, asked__lt=(now or timezone.now()) - datetime.timedelta(days=days))
    if dry_run:
        return old.count()
    return old.delete()[1].get(Subscription._meta.label, 0)


# --- the mails ---------------------------------------------------------------------------------------------


def message(subscription, template, ctx, headers=None):
    """One mail to the subscriber, plain text with an HTML alternative, from templates, in its language."""
    with translation.override(subscription.language):
        ctx = {
            "subscription": subscription,
            "search": searches.described(subscription.search, subscription.criteria),
            "search_url": searches.absolute(searches.page_url(subscription.search, subscription.criteria)),
            "site_url": settings.SITE_URL,
            **ctx,
        }
        subject = " ".join(render_to_string(f"alerts/email/{template}_subject.txt", ctx).split())
        mail = EmailMultiAlternatives(
            subject, render_to_string(f"alerts/email/{template}.txt", ctx), None, [subscription.email],
            headers=headers,
        )  # fmt: skip
        mail.attach_alternative(render_to_string(f"alerts/email/{template}.html", ctx), "text/html")
    return mail


def unsubscribe_headers(unsubscribe):
    """RFC 2369 and RFC 8058: mail programs offer their own "unsubscribe" button, which POSTs to the link."""
    return {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def with_links(subscription):
    return {"manage_url": links.url(subscription, "manage"), "unsubscribe_url": links.url(subscription, "unsubscribe")}


def digest_message(subscription, start, end, shown, total):
    ctx = {
        "matches": shown,
        "total": total,
        "more": total - len(shown),
        "start": start,
        "last_day": end - datetime.timedelta(days=1),
        **with_links(subscription),
    }
    return message(subscription, "digest", ctx, unsubscribe_headers(ctx["unsubscribe_url"]))


def confirmation_message(subscription):
    ctx = {"confirm_url": links.url(subscription, "confirm"), "days": settings.ALERTS_CONFIRM_DAYS}
    return message(subscription, "confirm", ctx)


def already_message(subscription):
    """To a confirmed subscriber who asked again: where to manage the alert (the page said the same as for
    a new address)."""
    ctx = with_links(subscription)
    return message(subscription, "already", ctx, unsubscribe_headers(ctx["unsubscribe_url"]))
