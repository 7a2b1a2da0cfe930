"""Stale edits, the one rule of the partner pages and the admin: a form carries the version of the record
it was opened on (an organisation's version number, an experience's last-updated time). On save the row is
locked and compared; if someone saved in between, the save is refused with a message and the current data
is shown: nothing is overwritten silently."""

from django.contrib import messages
from django.utils.translation import gettext as _

from experiences.models import Experience

STALE_STATUS = 409


def version_of(record):
    """What a form carries to say which version of `record` it was opened on."""
    return record.updated.isoformat() if isinstance(record, Experience) else str(record.version)


def is_stale(posted_version, record):
    """True when `record` (read under lock) is no longer the version the form was opened on."""
    return (posted_version or "") != version_of(record)


def refuse_stale(request):
    messages.error(
        request,
        _(
            "Someone else saved this profile since you opened it. Your changes were not saved, so as not to "
            "overwrite theirs: the form below shows the current data. Make your changes again and save."
        ),
    )
