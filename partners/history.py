"""The changes made to a profile, as its partners read them (the partner page "Changes"): the organisation's
record and its experiences, newest first, each with who made it and which fields it changed. Read from the
history that django-simple-history keeps (the admin's "History" pages read the same)."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from experiences.models import Experience
from institutions.models import Organisation

SHOWN = 100  # changes of each kind shown, the latest
# Columns kept for the machine (versions, sort keys, dates the save sets itself, the language-neutral copies
# of translated fields): a change to them alone is not a change a partner made.
HIDDEN = {"id", "version", "created", "updated", "sort_name_fr", "sort_name_en", "name", "description", "title",
          "objectives", "results", "organisation", "sectors"}  # fmt: skip


def _changes(records, what, viewer, staff_ids):
    """Rows for records of one model, newest first; each record compared with the same object's previous one."""
    previous = {}
    for record in reversed(records):  # oldest first: each record's previous one is already seen
        previous[record.history_id] = previous.get(("last", record.id))
        previous[("last", record.id)] = record
    rows = []
    for record in records:
        older = previous[record.history_id]
        fields = []
        if record.history_type == "~" and older is not None:
            fields = [
                str(record.instance_type._meta.get_field(change.field).verbose_name)
                for change in record.diff_against(older, excluded_fields=HIDDEN).changes
            ]
            if not fields:
                continue  # saved unchanged (a partner confirming the profile): nothing to show
        rows.append(
            {
                "when": record.history_date,
                "what": what(record),
                "kind": record.history_type,
                "fields": fields,
                "who": _who(record, viewer, staff_ids),
            }
        )
    return rows


def _who(record, viewer, staff_ids):
    if record.history_user_id == viewer.pk:
        return _("you")
    if record.history_user_id in staff_ids:
        return _("the Platforma secretariat")
    if record.history_user_id is not None:
        return _("another partner")
    return (
        _("an import") if (record.history_change_reason or "").startswith("Import") else _("the Platforma secretariat")
    )


def profile_changes(organisation, viewer):
    organisations = list(Organisation.history.filter(id=organisation.pk).order_by("-history_date")[:SHOWN])
    experiences = list(Experience.history.filter(organisation_id=organisation.pk).order_by("-history_date")[:SHOWN])
    user_ids = {r.history_user_id for r in organisations + experiences} - {None, viewer.pk}
    staff_ids = set(get_user_model().objects.filter(pk__in=user_ids, is_staff=True).values_list("pk", flat=True))
    rows = _changes(organisations, lambda r: _("General information"), viewer, staff_ids)
    rows += _changes(
        experiences, lambda r: _("Experience “%(title)s”") % {"title": r.title_fr or r.title_en}, viewer, staff_ids
    )
    rows.sort(key=lambda row: row["when"], reverse=True)
    return rows
