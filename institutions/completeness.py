"""How complete a profile is: which fields of the original profile page (the seed page) are empty.

The one place for this rule; the admin's "completeness" column and the change page's list of empty fields
both read it. Counts of competences and experiences come from `with_counts()` so a list of organisations
costs no query per row.
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

# The fields of the seed page, in its order. A translated field counts as filled in either language
# (the "missing French / English" filters find the one-language profiles).
SEED_FIELDS = [
    ("name", _("organisation name")),
    ("acronym", _("acronym")),
    ("street", _("street & number")),
    ("zip_code", _("ZIP")),
    ("city", _("city")),
    ("country", _("country")),
    ("website", _("website")),
    ("email", _("e-mail address")),
    ("telephone", _("telephone number")),
    ("fax", _("fax number")),
    ("description", _("general description")),
    ("competences", _("competences")),
    ("experiences", _("experiences")),
]
TRANSLATED = {"name", "description"}


def count_of(model):
    """A correlated COUNT of the organisation's rows in `model` (a subquery, so two counts do not
    multiply each other as two joins would)."""
    rows = (
        model.objects.filter(organisation=OuterRef("pk"))
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def with_counts(queryset):
    from experiences.models import Experience

    from .models import Competence

    return queryset.annotate(n_competences=count_of(Competence), n_experiences=count_of(Experience))


def _filled(org, field):
    if field == "competences":
        n = getattr(org, "n_competences", None)
        return (org.competences.count() if n is None else n) > 0
    if field == "experiences":
        n = getattr(org, "n_experiences", None)
        return (org.experiences.count() if n is None else n) > 0
    if field in TRANSLATED:
        return any((getattr(org, f"{field}_{lang}") or "").strip() for lang in ("fr", "en"))
    return bool(str(getattr(org, field) or "").strip())


def missing(org):
    """(field, label) of the seed page's fields that this organisation leaves empty, in the page's order."""
    return [(field, label) for field, label in SEED_FIELDS if not _filled(org, field)]


def missing_fields(org):
    """Labels of the seed page's fields that this organisation leaves empty, in the page's order."""
    return [label for _field, label in missing(org)]


def completeness(org):
    """(filled, total, labels of the empty fields)."""
    missing = missing_fields(org)
    return len(SEED_FIELDS) - len(missing), len(SEED_FIELDS), missing
