"""The search criteria of DESIGN.md as one django-filter FilterSet, with facet counts.

Plain GET parameters, so every search is a shareable URL and the page, its feeds, print view and exports
share one definition. Several values of one criterion widen (OR); different criteria narrow (AND). Every
criterion on related rows is an EXISTS subquery, so no organisation is ever counted twice. Malformed or
unknown values are dropped one by one (a bad value in a shared link must not void the good ones).
"""

import datetime
import heapq
import itertools
import re
from functools import cache, cached_property
from urllib.parse import urlencode

import django_filters
from django import forms
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from experiences.models import Experience, ExperienceCountry, Funding

from .facet_index import CRITERION_FACETS, FACET_CRITERION, bitset, facet_index, in_language
from .models import Competence, Organisation
from .search import MAX_QUERY_LENGTH, clean_query, fold, restrict, text_matches
from .templatetags.platforma import country_names

MAX_VALUES = 50  # values kept per criterion
YEAR_MIN, YEAR_MAX = 1900, 2100
SECTOR_CODE = re.compile(r"[0-9]{3}|[0-9]{5}")  # ASCII digits: \d also matches "١٤٠"
# A long facet (hundreds of countries, sectors or donors) shows this many values, the most frequent, until it
# is expanded: the page stays short to read and to tab through, and the full list is one link away. A facet
# only a few values longer is shown whole: a link to see two more values would be a waste of a click.
SHORT_FACET = 10
SHORT_FACET_SLACK = 3

SORT_CHOICES = [
    ("relevance", _("Relevance")),
    ("name", _("Name")),
    ("-updated", _("Last updated")),
    ("-experiences", _("Number of experiences")),
]


def _country(value):
    # ASCII only: "ß".upper() is "SS", which would otherwise be taken for South Sudan.
    value = value.upper() if value.isascii() else ""
    return value if len(value) == 2 and countries.alpha2(value) == value else None


def _kind(value):
    return value if value in Organisation.Kind.values else None


def _role(value):
    return value if value in Experience.Role.values else None


def _sector(value):
    return value if SECTOR_CODE.fullmatch(value) else None


def _positive_int(value):
    # isdigit() is also true for "²" or "٣", which int() refuses or reads: ASCII digits only.
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else None


class ValueListField(forms.Field):
    """Every value of a repeated GET parameter that `accept` recognises; the others are dropped."""

    widget = forms.SelectMultiple  # reads request.GET.getlist(name)

    def __init__(self, *, accept, **kwargs):
        self.accept = accept
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        accepted = (self.accept(str(item).strip()[:40]) for item in value)
        return list(dict.fromkeys(item for item in accepted if item is not None))[:MAX_VALUES]


class QueryField(forms.CharField):
    """Free text, cut at a word boundary instead of refusing a long paste."""

    def to_python(self, value):
        value = super().to_python(value).replace("\x00", "")
        if len(value) > MAX_QUERY_LENGTH:
            cut = value[:MAX_QUERY_LENGTH]
            value = cut.rsplit(None, 1)[0] if " " in cut else cut
        return value


class ValueListFilter(django_filters.Filter):
    field_class = ValueListField


class YearFilter(django_filters.Filter):
    field_class = forms.IntegerField


class QueryFilter(django_filters.Filter):
    field_class = QueryField


def _list_filter(accept, label):
    return ValueListFilter(accept=accept, label=label)


def _year_filter(label):
    return YearFilter(min_value=YEAR_MIN, max_value=YEAR_MAX, label=label)


def _sector_q(prefix, values):
    """A 5-digit code matches itself, a 3-digit category all its codes."""
    codes = [v for v in values if len(v) == 5]
    categories = [v for v in values if len(v) == 3]
    return Q(**{f"{prefix}code__in": codes}) | Q(**{f"{prefix}category__code__in": categories})


# One function per criterion: the queryset narrowed to organisations matching any of the values.
CRITERIA = {
    "country": lambda qs, v: qs.filter(country__in=v),
    "kind": lambda qs, v: qs.filter(kind__in=v),
    "sector": lambda qs, v: qs.filter(
        Exists(Competence.objects.filter(_sector_q("sector__", v), organisation=OuterRef("pk")))
    ),
    "worked_in": lambda qs, v: qs.filter(
        Exists(ExperienceCountry.objects.filter(experience__organisation=OuterRef("pk"), country__in=v))
    ),
    "experience_sector": lambda qs, v: qs.filter(
        Exists(
            Experience.sectors.through.objects.filter(
                _sector_q("sector__", v), experience__organisation=OuterRef("pk")
            )
        )
    ),
    "donor": lambda qs, v: qs.filter(
        Exists(Funding.objects.filter(experience__organisation=OuterRef("pk"), donor_id__in=v))
    ),
    "role": lambda qs, v: qs.filter(
        Exists(Experience.objects.filter(organisation=OuterRef("pk"), role__in=v))
    ),
}


def _active(queryset, year_from, year_to):
    """Organisations with an experience overlapping [year_from, year_to]; no end date = still going."""
    if year_from and year_to and year_from > year_to:
        year_from, year_to = year_to, year_from
    experiences = Experience.objects.filter(organisation=OuterRef("pk"))
    if year_to:
        experiences = experiences.filter(start_date__lte=datetime.date(year_to, 12, 31))
    if year_from:
        experiences = experiences.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=datetime.date(year_from, 1, 1))
        )
    return queryset.filter(Exists(experiences))


def experience_count():
    return Coalesce(
        Subquery(
            Experience.objects.filter(organisation=OuterRef("pk"))
            .order_by()
            .values("organisation")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def name_in_language():
    """The name in the active language, or the other one when it is missing (as the pages show it)."""
    first, second = ("name_en", "name_fr") if get_language() == "en" else ("name_fr", "name_en")
    return Lower(Coalesce(NullIf(first, Value("")), second, Value("")))


def facet_vocabulary(index, language):
    """{facet: [(key as the index has it, value as the form sends it, label)]}: every value a facet can
    show, labelled in `language` and in display order (countries and donors by name, accents and capitals
    ignored; kinds and roles as declared; sectors by code). It changes only with the index's labels, so it
    is made once per index and language, and a search page only picks the values to show and their
    counts."""
    key = ("facet vocabulary", language)
    if key not in index.memo:
        with translation.override(language):
            index.memo[key] = _vocabulary(index.labels, language)
    return index.memo[key]


def facet_positions(index, language):
    """{facet: {key: its place in facet_vocabulary()}}, made once with it: a long facet picks its most
    frequent values from its counts, not by reading its whole vocabulary."""
    key = ("facet positions", language)
    if key not in index.memo:
        vocabulary = facet_vocabulary(index, language)
        index.memo[key] = {
            facet: {entry[0]: place for place, entry in enumerate(entries)} for facet, entries in vocabulary.items()
        }
    return index.memo[key]


def _vocabulary(labels, language):
    by_country = sorted(country_names(language).items(), key=lambda pair: (fold(pair[1]), pair[0]))

    def sectors(facet):
        return [(code, f"{code} {in_language(names, language)}") for code, names in sorted(labels[facet].items())]

    def donor_label(acronym, *names):
        name = in_language(names, language)
        return f"{acronym} – {name}" if acronym and name else acronym or name

    donors = [(pk, donor_label(*names)) for pk, names in labels["donor"].items()]
    labelled = {
        "country": by_country,
        "worked_in": by_country,
        "kind": [(value, str(label)) for value, label in Organisation.Kind.choices],
        "role": [(value, str(label)) for value, label in Experience.Role.choices],
        "sector_category": sectors("sector_category"),
        "sector": sectors("sector"),
        "experience_sector_category": sectors("sector_category"),
        "experience_sector": sectors("sector"),
        "donor": sorted(donors, key=lambda pair: (fold(pair[1]), pair[0])),
    }
    return {facet: [(key, str(key), label) for key, label in pairs] for facet, pairs in labelled.items()}


def _in_facet(facet, value):
    """Whether a value of the facet's criterion is one of this facet's (sector criteria: 3-digit
    categories in *_category, 5-digit codes in the others)."""
    if facet.endswith("sector_category"):
        return len(value) == 3
    if facet.endswith("sector"):
        return len(value) == 5
    return True


def _most_frequent(vocabulary, positions, top, chosen):
    """Of a facet's vocabulary (key, value, label), the values at the `top` places (_top_places), then the
    chosen ones among the others, in the facet's order. `positions`: {key: place} (facet_positions)."""
    in_top = set(top)
    others = sorted(positions[key] for key in chosen if key in positions and positions[key] not in in_top)
    return [vocabulary[place] for place in top + others]


def _top_places(index, facet, language, positions, counts):
    """The places in the facet's vocabulary of its SHORT_FACET values with the most organisations, most
    first (ties in the facet's own order). Over every public organisation (the counts index.totals keeps,
    those of the first page), they are the same until the index changes, so they are ranked once per index
    and language, like those counts."""

    def ranked():
        found = ((-n, positions[key]) for key, n in counts.items() if key in positions)
        return [place for _n, place in heapq.nsmallest(SHORT_FACET, found)]

    if counts is not index.totals.get(facet):
        return ranked()
    key = ("most frequent", facet, language)
    if key not in index.memo:
        index.memo[key] = ranked()
    return index.memo[key]


class FacetValues(list):
    """The values one facet shows (dicts: value, label, count, selected), with how many values it has in
    all (`available`: those some organisation has) and whether it shows them all (`expanded`)."""

    def __init__(self, items, *, available, expanded):
        super().__init__(items)
        self.available = available
        self.expanded = expanded

    @property
    def long(self):
        """Long enough to be cut to its most frequent values when not expanded."""
        return self.available > SHORT_FACET + SHORT_FACET_SLACK

    @property
    def trimmed(self):
        return self.long and not self.expanded


class OrganisationFilter(django_filters.FilterSet):
    q = QueryFilter(label=_("Search"))
    country = _list_filter(_country, _("Country"))
    kind = _list_filter(_kind, _("Kind of organisation"))
    sector = _list_filter(_sector, _("Field of competence"))
    worked_in = _list_filter(_country, _("Worked in"))
    experience_sector = _list_filter(_sector, _("Sector of an experience"))
    donor = _list_filter(_positive_int, _("Donor"))
    role = _list_filter(_role, _("Role in the action"))
    active_from = _year_filter(_("Active from (year)"))
    active_to = _year_filter(_("Active until (year)"))
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, label=_("Sort by"), empty_label=None)

    def __init__(self, data=None, queryset=None, **kwargs):
        super().__init__(
            data, queryset=queryset if queryset is not None else Organisation.objects.published(), **kwargs
        )

    @cached_property
    def criteria(self):
        """The accepted values (invalid ones dropped), for templates and links. Asked for a hundred times
        per search page (every link carries the criteria), so worked out once. Without any criterion in the
        request (the first page, the most visited), they are what the form gives for no data, without
        building and validating a form for nothing (_no_criteria)."""
        if not any(name in (self.data or {}) for name in self.filters):
            return _no_criteria()
        if not hasattr(self.form, "cleaned_data"):
            self.form.is_valid()  # invalid fields are left out of cleaned_data, the others still apply
        return self.form.cleaned_data

    @cached_property
    def _criteria_pairs(self):
        pairs = []
        for name in self.filters:
            value = self.criteria.get(name)
            if value in (None, "", []) or (name == "sort" and value == self.default_sort):
                continue
            pairs += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
        return pairs

    def querystring(self, **extra):
        """The accepted criteria as a canonical query string (dropped values stay dropped), for links."""
        return urlencode(self._criteria_pairs + [(k, v) for k, v in extra.items() if v is not None])

    @property
    def default_sort(self):
        return "relevance" if self.text else "name"

    @property
    def text(self):
        # Text that folds to nothing (control characters, lone accents) is no search: no "relevance" rank.
        q = self.criteria.get("q") or ""
        return q if clean_query(q) else ""

    @property
    def sort_order(self):
        sort = self.criteria.get("sort")
        if sort == "relevance" and not self.text:
            sort = None
        return sort or self.default_sort

    def narrowed(self, queryset=None, skip=None):
        """The queryset narrowed by every criterion except `skip` (a facet ignores its own criterion)."""
        data = self.criteria
        queryset = self.queryset.all() if queryset is None else queryset
        for name, apply in CRITERIA.items():
            if name != skip and data.get(name):
                queryset = apply(queryset, data[name])
        if skip != "active" and (data.get("active_from") or data.get("active_to")):
            queryset = _active(queryset, data.get("active_from"), data.get("active_to"))
        return restrict(queryset, self.text_matches)

    @property
    def text_matches(self):
        """search.TextMatches of the free text (None without text), asked once per request: the results,
        the total and the facets all use it."""
        if not hasattr(self, "_text_matches"):
            self._text_matches = text_matches(self.text, self.queryset.db)
        return self._text_matches

    # False: the caller counts experiences for the rows it shows (the search page: a deep page would
    # otherwise run the count subquery for every row skipped by OFFSET).
    count_experiences = True

    def filter_queryset(self, queryset):
        queryset = self.narrowed(queryset)
        sort = self.sort_order
        if self.count_experiences or sort == "-experiences":
            queryset = queryset.annotate(experience_count=experience_count())
        tie = [name_in_language(), "pk"]
        if sort == "relevance":
            return queryset.order_by("-rank", *tie)
        if sort == "-updated":
            return queryset.order_by("-updated", "pk")
        if sort == "-experiences":
            return queryset.order_by("-experience_count", *tie)
        return queryset.order_by(*tie)

    # --- facets ---------------------------------------------------------------------------------------

    def _criterion_values(self):
        data = self.criteria
        return {name: data.get(name) or [] for name in CRITERION_FACETS}

    def _base_ids(self):
        """Bitset of the organisations matching the criteria the facet index does not hold (free text,
        active years), or None when there are none."""
        if not hasattr(self, "_base"):
            data = self.criteria
            self._base = None
            if self.text_matches is not None:
                self._base = bitset(self.text_matches.ids)
            if data.get("active_from") or data.get("active_to"):
                active = _active(self.queryset.all(), data.get("active_from"), data.get("active_to"))
                years = bitset(list(active.order_by().values_list("pk", flat=True)))
                self._base = years if self._base is None else self._base & years
        return self._base

    @property
    def ordered_by_index(self):
        """True when the facet index gives this sort (by name, or name matches first then by name), so
        ordered_ids() applies; the other sorts are SQL (self.qs)."""
        return self.sort_order in ("name", "relevance")

    def ordered_ids(self, start, stop):
        """Ids of results [start:stop] in the page's order, read from the facet index (no SQL); only when
        ordered_by_index."""
        names = None
        if self.sort_order == "relevance" and self.text_matches is not None:
            names = bitset(self.text_matches.name_ids)
        ordered = self.index.in_name_order(self.results, get_language() or "fr", first_ones=names)
        return list(itertools.islice(ordered, start, stop))

    @property
    def index(self):
        """The facet index this request reads, asked for once: the total, the order and the facets come
        from the same one even if the data changes meanwhile."""
        if not hasattr(self, "_index"):
            self._index = facet_index(self.queryset.db)
        return self._index

    @property
    def results(self):
        """Bitset of the organisations matching every criterion."""
        if not hasattr(self, "_results"):
            self._results = self.index.matching(self._criterion_values(), self._base_ids())
        return self._results

    def count(self):
        """How many organisations match: from the facet index, no COUNT query."""
        return self.results.bit_count()

    def facets(self, expanded=()):
        """{facet: FacetValues}: for each value, how many organisations the search would give with it, the
        other criteria unchanged (a facet ignores its own criterion). Counted on the in-memory facet index
        (facet_index.py): no GROUP BY over the experiences. Shown: the values some organisation has, and
        the chosen ones even when none has them; a long facet only its most frequent values (and the chosen
        ones) unless its criterion is in `expanded` (see FacetValues)."""
        index = self.index
        criteria, base = self._criterion_values(), self._base_ids()
        skipping = {name: index.matching(criteria, base, skip=name) for name in CRITERION_FACETS}
        language = get_language() or "fr"
        vocabulary, positions = facet_vocabulary(index, language), facet_positions(index, language)
        facets = {}
        for facet, criterion in FACET_CRITERION.items():
            counts = index.counts(facet, skipping[criterion])
            chosen = {v for v in self.criteria.get(criterion) or [] if _in_facet(facet, v)}
            available = len(positions[facet].keys() & counts.keys())
            values = FacetValues([], available=available, expanded=criterion in expanded)
            if values.trimmed:
                top = _top_places(index, facet, language, positions[facet], counts)
                shown = _most_frequent(vocabulary[facet], positions[facet], top, chosen)
            else:
                shown = [entry for entry in vocabulary[facet] if entry[0] in counts or entry[0] in chosen]
            items = [
                {"value": value, "label": label, "count": counts.get(key, 0), "selected": key in chosen}
                for key, value, label in shown
            ]
            # A chosen value that names nothing (a sector code or donor that does not exist): shown as
            # typed, last, so every criterion in force can be seen and unticked.
            listed = {item["value"] for item in items if item["selected"]}
            unknown = sorted(str(v) for v in chosen if str(v) not in listed)
            items += [{"value": v, "label": v, "count": 0, "selected": True} for v in unknown]
            values.extend(items)
            facets[facet] = values
        return facets


@cache
def _form_without_data():
    form = OrganisationFilter(QueryDict()).form
    form.is_valid()
    return form.cleaned_data


def _no_criteria():
    """The criteria of a search without any: the form's cleaned values for no data (worked out once), each
    list a new one."""
    return {name: list(value) if isinstance(value, list) else value for name, value in _form_without_data().items()}
