"""/<lang>/join/: an organisation asks to be listed, or a person asks for partner access to a listed one.
Staff are told and decide in the admin (partners/joining.py, partners/admin.py).

The page answers the same whatever the address typed (whether it has an account or not, whether it asked
before): nobody learns from it who is a partner. Abuse: a hidden field robots fill (answered as if kept,
kept nowhere); rate limits per client address and per address typed (django-ratelimit, as the contact page);
bounded lengths; one-line names."""

import logging

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from accounts.models import normalise_email

from .join_forms import AccessRequestForm, ListingRequestForm
from .joining import notify_staff

security_log = logging.getLogger("platforma.security")
mail_log = logging.getLogger(__name__)

FIND_MAX_LENGTH = 200  # the search for an organisation on the access form (the search cuts it further)


def start(request):
    return render(request, "partners/join/start.html")


def _limited(request, email):
    """Counts this request against the client address's limit and, when that one is not exceeded, against
    the address typed (so one client cannot use up someone's allowance): True when either is exceeded."""
    if is_ratelimited(
        request, group="join-ip", key="ip", rate=settings.JOIN_RATE_PER_IP, method="POST", increment=True
    ):
        return True
    return is_ratelimited(
        request, group="join-address", key=lambda group, request: normalise_email(email),
        rate=settings.JOIN_RATE_PER_ADDRESS, method="POST", increment=True,
    )  # fmt: skip


def _keep(request, form):
    """Keeps a valid request and tells staff; returns None when it is answered as kept, else the status of the
    form shown again with the reason."""
    if form.from_robot:  # counted against no limit: a robot must not use up anyone's allowance
        security_log.info("join_honeypot", extra={"data": {"path": request.path}})
        return None
    if _limited(request, form.cleaned_data["email"]):
        security_log.warning("join_rate_limited", extra={"data": {"path": request.path}})
        form.add_error(None, _("Too many requests were sent recently, from your connection or for this address. "
                               "Yours was not sent: please try again later."))  # fmt: skip
        return 429
    join_request = form.save(commit=False)
    join_request.kind = form.kind
    join_request.language = get_language()
    join_request.save()
    try:
        notify_staff(join_request)
    except OSError:  # the request is kept and in the staff's queue: only their notification is lost
        mail_log.exception("join_request_notification_not_sent")
    return None


def _ask(request, form_class, template):
    find = request.GET.get("find", "")[:FIND_MAX_LENGTH]
    extra = {"find": find} if form_class is AccessRequestForm else {}
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, **extra)
        status = _keep(request, form) if form.is_valid() else 400
        if status is None:
            return redirect("join:thanks")
    else:
        form = form_class(**extra)
    return render(request, template, {"form": form, "find": find}, status=status)


@require_http_methods(["GET", "POST"])
def listing(request):
    return _ask(request, ListingRequestForm, "partners/join/listing.html")


@require_http_methods(["GET", "POST"])
def access(request):
    return _ask(request, AccessRequestForm, "partners/join/access.html")


def thanks(request):
    return render(request, "partners/join/thanks.html")
