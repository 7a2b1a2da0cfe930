"""The search criteria of the experiences list (/<lang>/experiences/): the organisation search's criteria
(directory/criteria.py: the same parameters, read by the same filters) applied to each experience.

An experience-level criterion (worked_in, experience_sector, donor, role, active years) is matched by the
experience itself: "worked in BF with donor X" lists the experiences in BF funded by X, not every
experience of an organisation that has one in BF and another funded by X. Organisation-level criteria
(country, kind) are the experience's organisation's. partner_of lists the actions the organisations named
shared with another (experiences/partnerships.py): one of them a public member, and another public member.
Only published organisations' experiences are listed.

A facet count is the number of experiences the list would give with that value, the other criteria
unchanged (a facet ignores its own criterion, as OrganisationFilter.facet_counts): one GROUP BY per facet
over the experience's own tables, sent together as one UNION ALL query ("Worked with": the shared actions'
owners and listed participants, added up).
"""

from functools import cached_property

import django_filters
from django.conf import settings
from django.db.models import CharField, Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _

from experiences.models import Experience, ExperienceCountry, Funding, Participant
from experiences.partnerships import actions_with_partners, listed_participants
from institutions.cache import cache_call, generation
from institutions.models import Organisation
from institutions.search import experience_ids

from .criteria import (
    PARTNER_OF,
    Criteria,
    OrganisationFilter,
    _cache_get,
    _cache_set,
    facet_of,
    overlapping_q,
    shown_facets,
)

# The list counts its facets only when the free text matches at most this many experiences (else it lists them
# uncounted, and says so): counting the facets of that many experiences takes seconds (about 3 s for 10,000 at
# 100,000 organisations on a 2-core machine; 22 s for the 89,000 of "eau"), one GROUP BY per facet over the
# experience tables. Matching itself is an index lookup; exports, feeds, alerts and statistics are not bound.
MAX_TEXT_MATCHES = 10_000

SORT_CHOICES = [
    ("-start_date", _("Start date, newest first")),
    ("start_date", _("Start date, oldest first")),
    ("-end_date", _("End date, latest first")),
    ("-cost", _("Cost, highest first")),
    ("-funded", _("Amount funded, highest first")),
]

# criterion -> {facet: the experience's value for it, as a path from the table the facet is counted in}
FACETS = {
    "country": {"country": (Experience, "organisation__country")},
    "kind": {"kind": (Experience, "organisation__kind")},
    "worked_in": {"worked_in": (ExperienceCountry, "country")},
    "experience_sector": {
        "experience_sector": (Experience.sectors.through, "sector__code"),
        "experience_sector_category": (Experience.sectors.through, "sector__category__code"),
    },
    "donor": {"donor": (Funding, "donor_id")},
    "role": {"role": (Experience, "role")},
}
FACET_CRITERION = {facet: criterion for criterion, facets in FACETS.items() for facet in facets}
FACET_CRITERION[PARTNER_OF] = PARTNER_OF  # counted over the members of the shared actions (_partner_counts)


def published_experiences():
    """THE experiences the public may see: those of published organisations."""
    return Experience.objects.filter(organisation__in=Organisation.objects.published())


def funded():
    """The sum of an experience's fundings (0 without any), for sorting."""
    total = Funding.objects.filter(experience=OuterRef("pk")).order_by().values("experience").annotate(s=Sum("amount"))
    return Coalesce(Subquery(total.values("s")), Value(0), output_field=DecimalField(max_digits=14, decimal_places=2))


def criterion_q(criterion, values):
    """Experiences having one of these values of a facet criterion (their own value, or their
    organisation's for country and kind); `values` is not empty."""
    having = Q()
    for value in values:
        model, path = FACETS[criterion][facet_of(criterion, value)]
        having |= Q(**{path: value})
    if model is Experience:
        return having
    # A value in a table of its own (countries, sectors, fundings): the experiences having a matching row.
    return Q(pk__in=model.objects.filter(having).values("experience_id"))


class ExperienceFilter(Criteria):
    # The organisation search's own filters: one definition of each parameter and how it is read.
    q = OrganisationFilter.base_filters["q"]
    country = OrganisationFilter.base_filters["country"]
    kind = OrganisationFilter.base_filters["kind"]
    worked_in = OrganisationFilter.base_filters["worked_in"]
    experience_sector = OrganisationFilter.base_filters["experience_sector"]
    donor = OrganisationFilter.base_filters["donor"]
    role = OrganisationFilter.base_filters["role"]
    partner_of = OrganisationFilter.base_filters["partner_of"]
    active_from = OrganisationFilter.base_filters["active_from"]
    active_to = OrganisationFilter.base_filters["active_to"]
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, label=_("Sort by"), empty_label=None)

    default_sort = "-start_date"

    def __init__(self, data=None, queryset=None, **kwargs):
        super().__init__(data, queryset=queryset if queryset is not None else published_experiences(), **kwargs)

    @cached_property
    def text_ids(self):
        """Ids of the experiences whose own texts match the free text (None without text): title, objectives
        and results, sector codes and names, countries, in both languages, matched as the organisation
        search matches (institutions.search.experience_ids). The list keeps the published ones (narrowed)."""
        if not self.text:
            return None
        return experience_ids(self.text, self.queryset.db)

    @property
    def too_broad(self):
        """The free text is in more than MAX_TEXT_MATCHES experiences: too many to count facets over."""
        return self.text_ids is not None and len(self.text_ids) > MAX_TEXT_MATCHES

    def narrowed(self, skip=None):
        """Published experiences matching every criterion except `skip` (a facet ignores its own)."""
        queryset = self.queryset.all()
        for criterion in FACETS:
            if criterion != skip and self.criteria.get(criterion):
                queryset = queryset.filter(criterion_q(criterion, self.criteria[criterion]))
        if skip != PARTNER_OF and self.criteria.get(PARTNER_OF):
            ids = [self.partner_ids[slug] for slug in self.criteria[PARTNER_OF]]
            queryset = queryset.filter(pk__in=actions_with_partners(ids).values("pk"))
        start, end = self.criteria.get("active_from"), self.criteria.get("active_to")
        if start or end:
            queryset = queryset.filter(overlapping_q(start, end))
        if self.text_ids is not None:
            queryset = queryset.filter(pk__among=self.text_ids)
        return queryset

    def filter_queryset(self, queryset):
        """The results in the order asked; ties (and experiences without a cost or an end) last, by id."""
        queryset = self.narrowed()
        sort = self.sort_order
        if sort == "-funded":
            return queryset.annotate(funded=funded()).order_by("-funded", "-start_date", "pk")
        if sort == "-cost":
            return queryset.order_by(F("cost").desc(nulls_last=True), "-start_date", "pk")
        if sort == "-end_date":  # no end date: still going, so the latest
            return queryset.order_by(F("end_date").desc(nulls_first=True), "-start_date", "pk")
        if sort == "start_date":
            return queryset.order_by("start_date", "pk")
        return queryset.order_by("-start_date", "pk")

    def result_ids(self):
        return self.qs.values_list("pk", flat=True)

    def count(self):
        return self.narrowed().count()

    def facet_counts(self):
        """{facet: {value: number of experiences}}: for each value, how many experiences the list would give
        with it, the other criteria unchanged. One query; without any criterion (the list's first page) kept
        in the cache for the directory's generation (settings.FACET_COUNTS_CACHE), as the organisations'. No
        counts with a text too broad to count over (too_broad): only the chosen values are shown, uncounted."""
        if self.too_broad:
            return {}
        years = self.criteria.get("active_from") or self.criteria.get("active_to")
        in_force = any(self.criteria.get(criterion) for criterion in FACET_CRITERION.values())
        if in_force or years or self.text_ids is not None:
            return self._facet_counts()
        current = generation() if settings.FACET_COUNTS_CACHE else None
        key = f"directory:experience-facet-counts:{self.queryset.db}:{current}"
        counts = cache_call(_cache_get, key) if current is not None else None
        if counts is None:
            counts = self._facet_counts()
            if current is not None:
                cache_call(_cache_set, key, counts)
        return counts

    def _facet_counts(self):
        parts = []
        for criterion, facets in FACETS.items():
            experiences = self.narrowed(skip=criterion).order_by().values("pk")
            for facet, (model, path) in facets.items():
                experience = "pk" if model is Experience else "experience_id"
                # A plain QuerySet: modeltranslation's (Experience.objects) may reorder the columns, and a
                # UNION pairs them by position.
                rows = QuerySet(model).filter(**{f"{experience}__in": experiences})
                rows = rows.annotate(facet=Value(facet, output_field=CharField()), facet_value=Cast(path, CharField()))
                rows = rows.values_list("facet", "facet_value").annotate(n=Count(experience, distinct=True))
                parts.append(rows.order_by())
        parts += self._partner_counts()
        counts = {}
        for facet, value, n in parts[0].union(*parts[1:], all=True).order_by():
            if value:
                counts.setdefault(facet, {})[value] = counts.get(facet, {}).get(value, 0) + n
        counts[PARTNER_OF] = self.partner_counts({int(pk): n for pk, n in counts.get(PARTNER_OF, {}).items()})
        return counts

    def _partner_counts(self):
        """"Worked with": the shared actions among the listed experiences, by member (organisation id), in two
        parts to add up: by owner, by listed participant."""
        shared = self.narrowed(skip=PARTNER_OF).filter(pk__in=actions_with_partners().values("pk"))
        shared = shared.order_by().values("pk")
        owners = QuerySet(Experience).filter(pk__in=shared)
        participants = QuerySet(Participant).filter(pk__in=listed_participants().values("pk"), experience__in=shared)
        parts = []
        for rows, experience in ((owners, "pk"), (participants, "experience_id")):
            rows = rows.annotate(
                facet=Value(PARTNER_OF, output_field=CharField()), facet_value=Cast("organisation_id", CharField())
            )
            rows = rows.values_list("facet", "facet_value").annotate(n=Count(experience, distinct=True))
            parts.append(rows.order_by())
        return parts

    def facets(self, expanded=()):
        """{facet: FacetValues}: the values to show with their counts (criteria.shown_facets)."""
        return shown_facets(self.facet_counts(), self, FACET_CRITERION, expanded)
