"""The search criteria of DESIGN.md, defined once: they give the results, their order and the facet counts.

Plain GET parameters, so every search is a shareable URL and the page, its print view, feeds and exports
share one definition. Several values of one criterion widen (OR); different criteria narrow (AND).
Malformed or unknown values are dropped one by one (a bad value in a shared link must not void the good
ones).

How a criterion is applied: each facet criterion (country, kind, sector, worked_in, experience_sector,
donor, role, partner_of) is "the organisation has one of these facet values", read from the FacetValue table
(institutions/facets.py keeps it in step with the data): one indexed subquery per criterion. A facet count
("how many organisations each value would give", a facet ignoring its own criterion) is, on PostgreSQL, an
AND and a bit count of each value's bitmap (institutions/bitmaps.py), which also give the number of
results and the text matches meeting the facet criteria; elsewhere a GROUP BY over the FacetValue rows of
the organisations matching every other criterion. Free text (institutions/search.py) gives the matching ids
in relevance order; active years are an EXISTS over the experiences. The queryset searched is the
published organisations (the bitmaps hold those and no other set).

partner_of names organisations by slug, the facet values hold their ids (institutions/facets.py): the slugs
are read into ids once per search (unknown ones dropped, as malformed values are), and the "Worked with"
counts are given by slug, as the parameter takes them. That facet has a value for nearly every organisation
(PartnerCounts): it lists the SHORT_FACET most frequent and the chosen ones, and is counted only over at most
PARTNER_FACET_LIMIT organisations.
"""

import datetime
import re
from collections import defaultdict
from functools import cached_property
from urllib.parse import urlencode

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When, Window
from django.db.models.functions import Cast, Coalesce
from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from experiences.models import Donor, Experience
from institutions import bitmaps
from institutions.cache import cache_call, generation
from institutions.models import FacetValue, Organisation, Sector
from institutions.search import MAX_QUERY_LENGTH, clean_query, ranked_ids, suggestion
from institutions.text import fold

MAX_VALUES = 50  # values kept per criterion
YEAR_MIN, YEAR_MAX = 1900, 2100
SECTOR_CODE = re.compile(r"[0-9]{3}|[0-9]{5}")  # ASCII digits: \d also matches "١٤٠"
SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # as SlugField takes them
SLUG_LENGTH = Organisation._meta.get_field("slug").max_length
PARTNER_OF = FacetValue.PARTNER_OF
PUBLISHED = FacetValue.PUBLISHED
# A long facet (hundreds of countries, sectors or donors) shows this many values, the most frequent, until it
# is expanded: the page stays short to read and to tab through, and the full list is one link away. A facet
# only a few values longer is shown whole: a link to see two more values would be a waste of a click.
SHORT_FACET = 10
SHORT_FACET_SLACK = 3
# "Worked with" is counted when at most this many organisations meet the other criteria (beyond, only its
# chosen values are): its count reads every partnership of those organisations, about 18 rows each at
# 10,000 generated organisations (25 ms for 2,000 of them), 1.7 million rows for the whole directory at 100,000.
PARTNER_FACET_LIMIT = 2000
# PostgreSQL: organisations meeting the facet criteria are listed by their ids (one array, from the bitmaps the
# search reads anyway) when they are at most this many, rather than by a join per criterion: 229 of them at
# 10,000 organisations, 15 -> 3 ms; but 58,000 at 100,000 take 450 ms as an array and 56 ms as one join.
ID_ARRAY_LIMIT = 5000

SORT_CHOICES = [
    ("relevance", _("Relevance")),
    ("name", _("Name")),
    ("-updated", _("Last updated")),
    ("-experiences", _("Number of experiences")),
]

# criterion -> the facets (FacetValue.facet) its values are looked up in: a sector criterion takes 5-digit
# codes and 3-digit categories.
CRITERION_FACETS = {
    "country": ("country",),
    "kind": ("kind",),
    "sector": ("sector", "sector_category"),
    "worked_in": ("worked_in",),
    "experience_sector": ("experience_sector", "experience_sector_category"),
    "donor": ("donor",),
    "role": ("role",),
    PARTNER_OF: (PARTNER_OF,),
}
FACET_CRITERION = {facet: criterion for criterion, facets in CRITERION_FACETS.items() for facet in facets}


def facet_of(criterion, value):
    """The facet a value of this criterion is looked up in."""
    facets = CRITERION_FACETS[criterion]
    return facets[1] if len(facets) > 1 and len(str(value)) == 3 else facets[0]


def in_language(texts, language):
    """THE rule for a translated name read as plain values: (fr, en) in `language`, else the other, else ""."""
    first = 1 if language == "en" else 0
    return texts[first] or texts[1 - first] or ""


# --- reading the parameters --------------------------------------------------------------------------


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


def _slug(value):
    return value if SLUG.fullmatch(value) else None


def _positive_int(value):
    # isdigit() is also true for "²" or "٣", which int() refuses or reads: ASCII digits only.
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else None


class ValueListField(forms.Field):
    """Every value of a repeated GET parameter that `accept` recognises, once each; the others are dropped."""

    widget = forms.SelectMultiple  # reads request.GET.getlist(name)

    def __init__(self, *, accept, length=40, **kwargs):
        self.accept, self.length = accept, length
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        accepted = (self.accept(str(item).strip()[: self.length]) for item in value)
        return sorted(set(item for item in accepted if item is not None), key=str)[:MAX_VALUES]


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


def _list_filter(accept, label, length=40):
    return ValueListFilter(accept=accept, label=label, length=length)


def _year_filter(label):
    return YearFilter(min_value=YEAR_MIN, max_value=YEAR_MAX, label=label)


# --- applying them -----------------------------------------------------------------------------------


def criterion_q(pairs):
    """Organisations having one of these (facet, value) of a facet criterion (Criteria.facet_pairs)."""
    by_facet = defaultdict(list)
    for facet, value in pairs:
        by_facet[facet].append(value)
    having = Q()
    for facet, facet_values in by_facet.items():
        having |= Q(facet=facet, value__in=facet_values)
    return Q(pk__in=FacetValue.objects.filter(having).values("organisation_id"))


def overlapping_q(year_from, year_to):
    """Experiences overlapping [year_from, year_to] (either may be None); no end date = still going."""
    overlapping = Q()
    if year_to:
        overlapping &= Q(start_date__lte=datetime.date(year_to, 12, 31))
    if year_from:
        overlapping &= Q(end_date__isnull=True) | Q(end_date__gte=datetime.date(year_from, 1, 1))
    return overlapping


def active_q(year_from, year_to):
    """Organisations with an experience overlapping [year_from, year_to]."""
    return Exists(Experience.objects.filter(overlapping_q(year_from, year_to), organisation=OuterRef("pk")))


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


def experience_counts(organisation_ids):
    """{organisation id: its number of experiences} for these organisations (those with none left out)."""
    rows = Experience.objects.filter(organisation_id__in=organisation_ids).order_by().values("organisation_id")
    return dict(rows.annotate(n=Count("pk")).values_list("organisation_id", "n"))


def name_in_language():
    """The name lists sort by in the active language (Organisation.sort_name_<lang>)."""
    return "sort_name_en" if get_language() == "en" else "sort_name_fr"


class Criteria(django_filters.FilterSet):
    """What every search reads the same way from its parameters (organisations, experiences): the accepted
    criteria, their canonical query string, the free text and the sort order. A subclass declares its
    filters and its default_sort."""

    @cached_property
    def criteria(self):
        """The accepted values (invalid ones dropped), for templates and links; an inverted year range is
        put the right way round."""
        if not hasattr(self.form, "cleaned_data"):
            self.form.is_valid()  # invalid fields are left out of cleaned_data, the others still apply
        data = dict(self.form.cleaned_data)
        if data.get(PARTNER_OF):
            data[PARTNER_OF] = [slug for slug in data[PARTNER_OF] if slug in self.partner_ids]
        start, end = data.get("active_from"), data.get("active_to")
        if start and end and start > end:
            data["active_from"], data["active_to"] = end, start
        return data

    @cached_property
    def chosen_partners(self):
        """{slug: (id, name_fr, name_en)} of the published organisations partner_of names: one query, only
        when it is given."""
        if not hasattr(self.form, "cleaned_data"):
            self.form.is_valid()
        slugs = self.form.cleaned_data.get(PARTNER_OF)
        if not slugs:
            return {}
        organisations = Organisation.objects.using(self.queryset.db).published().filter(slug__in=slugs)
        return {slug: row for slug, *row in organisations.values_list("slug", "pk", "name_fr", "name_en")}

    @property
    def partner_ids(self):
        """{slug: id} of the chosen partner_of organisations."""
        return {slug: pk for slug, (pk, *_names) in self.chosen_partners.items()}

    def labels(self, language):
        """facet_labels(language), with the chosen partner_of organisations named (the others "Worked with"
        lists are named by its counts, PartnerCounts)."""
        labels = facet_labels(language)
        if not self.chosen_partners:
            return labels
        named = {slug: in_language(names, language) for slug, (_pk, *names) in self.chosen_partners.items()}
        return {**labels, PARTNER_OF: _by_name(named)}

    def derived(self, other, query):
        """Another search (`other`, a Criteria class) of a query string made from this one's criteria: the
        partner_of organisations it names are the ones this search has read already."""
        search = other(QueryDict(query))
        search.chosen_partners = self.chosen_partners
        return search

    def facet_pairs(self, criterion):
        """(facet, value) as FacetValue holds them for the values of a criterion in force: partner_of's slugs
        as the ids of their organisations."""
        values = self.criteria[criterion]
        if criterion == PARTNER_OF:
            return [(PARTNER_OF, str(self.partner_ids[slug])) for slug in values]
        return [(facet_of(criterion, value), str(value)) for value in values]

    def partner_counts(self, by_id, counted=True, total=None):
        """PartnerCounts of {organisation id: n} ("Worked with" as counted, by organisation id): the
        SHORT_FACET most frequent (ties by id) and the chosen ones, by slug as partner_of takes them, named
        (one query); `counted`: whether every value was counted (else only the chosen ones were); `total`:
        how many values were counted, when `by_id` holds only the most frequent and the chosen ones."""
        chosen = [self.partner_ids[slug] for slug in self.criteria.get(PARTNER_OF) or []]
        listed = sorted(by_id, key=lambda pk: (-by_id[pk], pk))[:SHORT_FACET]
        listed += [pk for pk in chosen if pk in by_id and pk not in listed]
        counts = PartnerCounts(total=(len(by_id) if total is None else total) if counted else None)
        if listed:
            rows = Organisation.objects.using(self.queryset.db).published().filter(pk__in=listed)
            for pk, slug, *names in rows.values_list("pk", "slug", "name_fr", "name_en"):
                counts[slug] = by_id[pk]
                counts.names[slug] = names
        return counts

    @cached_property
    def criteria_pairs(self):
        """(name, value) of every criterion in force, in the order the criteria are declared, the values of
        each sorted: empty and default values left out."""
        pairs = []
        for name in self.filters:
            value = self.criteria.get(name)
            if value in (None, "", []) or (name == "sort" and value == self.default_sort):
                continue
            if name == "q" and not clean_query(value):
                continue
            pairs += [(name, str(v)) for v in value] if isinstance(value, list) else [(name, str(value))]
        return pairs

    def querystring(self, **extra):
        """The accepted criteria as the canonical query string (dropped values stay dropped), for links;
        `extra` replaces or adds parameters (page=2, q=<a suggestion>), each in its place."""
        pairs = [(k, v) for k, v in self.criteria_pairs if k not in extra]
        pairs += [(k, str(v)) for k, v in extra.items() if v is not None]
        names = list(self.filters)
        return urlencode(sorted(pairs, key=lambda pair: names.index(pair[0]) if pair[0] in names else len(names)))

    def querystring_adding(self, name, value, **extra):
        """The canonical query string with one more value of a repeatable criterion (as it was when the
        value is in force already), `extra` as in querystring(): a map's country links."""
        pairs = {(k, v) for k, v in self.criteria_pairs if k not in extra} | {(name, str(value))}
        pairs |= {(k, str(v)) for k, v in extra.items() if v is not None}
        names = list(self.filters)
        return urlencode(sorted(pairs, key=lambda pair: (names.index(pair[0]), pair[1])))

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


def shared_criteria(filterset, other):
    """The canonical query string of `other` (a Criteria class) with the criteria of `filterset` that it
    reads too: how the organisation search and the experiences list link to each other."""
    return filterset.derived(other, filterset.querystring()).querystring()


class OrganisationFilter(Criteria):
    q = QueryFilter(label=_("Search"))
    country = _list_filter(_country, _("Country"))
    kind = _list_filter(_kind, _("Kind of organisation"))
    sector = _list_filter(_sector, _("Field of competence"))
    worked_in = _list_filter(_country, _("Worked in"))
    experience_sector = _list_filter(_sector, _("Sector of an experience"))
    donor = _list_filter(_positive_int, _("Donor"))
    role = _list_filter(_role, _("Role in the action"))
    partner_of = _list_filter(_slug, _("Worked with"), length=SLUG_LENGTH + 1)
    active_from = _year_filter(_("Active from (year)"))
    active_to = _year_filter(_("Active until (year)"))
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, label=_("Sort by"), empty_label=None)

    def __init__(self, data=None, queryset=None, **kwargs):
        super().__init__(
            data, queryset=queryset if queryset is not None else Organisation.objects.published(), **kwargs
        )
        self._matching = {}  # matching_ids() by criteria skipped

    @property
    def default_sort(self):
        return "relevance" if self.text else "name"

    corrected = None  # the text searched instead, when the one typed matches nothing (a typo)

    @cached_property
    def text_ids(self):
        """Ids of the queryset's organisations matching the free text in relevance order (None without text),
        asked once per request. Text that matches nothing is searched as suggestion() corrects it
        (PostgreSQL: "Ouagadogou" finds Ouagadougou), and the page says so."""
        if not self.text:
            return None
        ids = self._listed(ranked_ids(self.text, self.queryset.db))
        if not ids and (corrected := suggestion(self.text, self.queryset.db)):
            self.corrected = corrected
            ids = self._listed(ranked_ids(corrected, self.queryset.db))
        return ids

    def _listed(self, ids):
        """Those of `ids` that are the queryset's (the published organisations): on PostgreSQL from their
        bitmap, elsewhere one query."""
        if bitmaps.enabled(self.queryset.db):
            return bitmaps.members(self._bitmaps[PUBLISHED], ids)
        listed = set(self.queryset.filter(pk__among=ids).values_list("pk", flat=True)) if ids else set()
        return [pk for pk in ids if pk in listed]

    def narrowed(self, skip=()):
        """Published organisations matching every criterion except those in `skip` (a facet ignores its own)."""
        queryset = self.queryset.all()
        kept = [criterion for criterion in self.facet_criteria if criterion not in skip]
        if kept and bitmaps.enabled(self.queryset.db):
            having = bitmaps.intersection(self.chosen[criterion] for criterion in kept)
            if having.bit_count() <= ID_ARRAY_LIMIT:
                queryset, kept = queryset.filter(pk__among=bitmaps.ids(having)), []
        for criterion in kept:
            queryset = queryset.filter(criterion_q(self.facet_pairs(criterion)))
        if self.years:
            queryset = queryset.filter(active_q(*self.years))
        if self.text_ids is not None:
            queryset = queryset.filter(pk__among=self.text_ids)
        return queryset

    def filter_queryset(self, queryset):
        """The results in the order asked (relevance: see result_ids)."""
        queryset = self.narrowed()
        tie = [name_in_language(), "pk"]
        sort = self.sort_order
        if sort == "-updated":
            return queryset.order_by("-updated", "pk")
        if sort == "-experiences":
            return queryset.annotate(experience_count=experience_count()).order_by("-experience_count", *tie)
        return queryset.order_by(*tie)

    def matching_ids(self, skip=()):
        """The ids of narrowed(skip), as a set, asked once per request (relevance order and the bitmaps'
        facet counts may both need it)."""
        skip = tuple(criterion for criterion in skip if self.criteria.get(criterion))  # those in force only
        if skip not in self._matching:
            self._matching[skip] = self._matching_ids(skip)
        return self._matching[skip]

    def _matching_ids(self, skip):
        if self.text_ids is None or self.years:
            return set(self.narrowed(skip).values_list("pk", flat=True))
        # Free text: its ids are the queryset's already; the facet criteria keep those having their values.
        kept = [criterion for criterion in self.facet_criteria if criterion not in skip]
        if not kept:
            return set(self.text_ids)
        if bitmaps.enabled(self.queryset.db):
            return set(bitmaps.members(bitmaps.intersection(self.chosen[c] for c in kept), self.text_ids))
        return set(self.narrowed(skip).values_list("pk", flat=True))

    @cached_property
    def chosen(self):
        """PostgreSQL: {facet criterion in force: the organisations having one of its values, as a bitmap}."""
        return {criterion: self._bitmaps[criterion] for criterion in self.facet_criteria}

    @cached_property
    def _bitmaps(self):
        """PostgreSQL: the bitmaps a search reads, in one query: of the chosen values (by criterion) and, with a
        text, of the published organisations (PUBLISHED), which its matches are kept from."""
        wanted = {criterion: self.facet_pairs(criterion) for criterion in self.facet_criteria}
        if self.text:
            wanted[PUBLISHED] = [(PUBLISHED, "yes")]
        return bitmaps.chosen(wanted, self.queryset.db)

    @cached_property
    def _relevance_order(self):
        matching = self.matching_ids()
        return [pk for pk in self.text_ids if pk in matching]

    def result_ids(self):
        """The ids of the results in the page's order, sliceable (the paginator and print view slice it),
        counted by count()."""
        if self.sort_order == "relevance":
            return self._relevance_order
        return ResultIds(self.qs.values_list("pk", flat=True), self.count)

    def count(self):
        """The number of results (counted once)."""
        return self._count

    @cached_property
    def _count(self):
        if self.sort_order == "relevance":
            return len(self._relevance_order)
        if bitmaps.enabled(self.queryset.db) and not self.years:
            # PostgreSQL: from what the facet counts read anyway, no COUNT over the criteria's joins.
            if self.text_ids is not None:
                return len(self.matching_ids())
            if self.facet_criteria:
                return bitmaps.intersection(self.chosen.values()).bit_count()
        return self.narrowed().count()

    # --- facets ---------------------------------------------------------------------------------------

    @property
    def facet_criteria(self):
        """The facet criteria in force (country, kind, …), in declaration order."""
        return [criterion for criterion in CRITERION_FACETS if self.criteria.get(criterion)]

    @property
    def years(self):
        """(active_from, active_to) when either is given, else None."""
        start, end = self.criteria.get("active_from"), self.criteria.get("active_to")
        return (start, end) if start or end else None

    @property
    def narrowing(self):
        """Whether any criterion narrows the results (the sort order does not)."""
        return bool(self.facet_criteria or self.years or self.text_ids is not None)

    def facet_counts(self):
        """{facet: {value: number of organisations}}: for each value, how many results the search would give
        with it, the other criteria unchanged (a facet ignores its own criterion). The facets whose criterion
        is not in force are counted over the results, each criterion in force's facets over the results of
        the other criteria. Without any criterion (the first page, the most visited) they are kept in the
        cache for the directory's generation (settings.FACET_COUNTS_CACHE)."""
        in_force = self.facet_criteria
        asked = [((), [facet for facet, criterion in FACET_CRITERION.items() if criterion not in in_force])]
        asked += [((criterion,), CRITERION_FACETS[criterion]) for criterion in in_force]
        asked = [(skip, facets) for skip, facets in asked if facets]
        if self.narrowing:
            return self._counted(asked)
        current = generation() if settings.FACET_COUNTS_CACHE else None
        key = f"directory:facet-counts:{self.queryset.db}:{current}"
        counts = cache_call(_cache_get, key) if current is not None else None
        if counts is None:
            counts = self._counted(asked)
            if current is not None:
                cache_call(_cache_set, key, counts)
        return counts

    def _counted(self, asked):
        """The counts of `asked` — (criteria skipped, facets) — on PostgreSQL from the values' bitmaps
        (institutions/bitmaps.py: one query whatever the number of organisations), elsewhere by GROUP BY over
        the facet values of the organisations concerned (one query: UNION ALL); "Worked with" by
        _partner_counts."""
        using = self.queryset.db
        partners = next((skip for skip, facets in asked if PARTNER_OF in facets), None)
        asked = [(skip, [facet for facet in facets if facet != PARTNER_OF]) for skip, facets in asked]
        asked = [(skip, facets) for skip, facets in asked if facets]
        if bitmaps.enabled(using):
            counts = bitmaps.counts([(facets, self._organisations(skip)) for skip, facets in asked], using)
        else:
            parts = [_count(self.narrowed(skip) if self.narrowing else None, facets) for skip, facets in asked]
            counts = _counted(parts[0].union(*parts[1:], all=True)) if parts else {}
        if partners is not None:
            counts[PARTNER_OF] = self._partner_counts(partners)
        return counts

    def _organisations(self, skip):
        """PostgreSQL: the organisations matching every criterion except those in `skip`, as a bitmap (None:
        every published one), from the chosen values' bitmaps and the text and years' matches."""
        organisations = self._matching_bitmap
        for criterion, having in self.chosen.items():
            if criterion not in skip:
                organisations = having if organisations is None else organisations & having
        return organisations

    @cached_property
    def _matching_bitmap(self):
        if self.text_ids is None and not self.years:
            return None
        return bitmaps.to_bitmap(self.matching_ids(skip=CRITERION_FACETS))

    def _partner_counts(self, skip):
        """"Worked with" (PartnerCounts) over the organisations matching every criterion except those in
        `skip`: every value when they are at most PARTNER_FACET_LIMIT, else only the chosen values."""
        using = self.queryset.db
        having = self._organisations(skip) if bitmaps.enabled(using) else None
        if having is not None:
            size = having.bit_count()
        else:
            size = self.narrowed(skip).count() if skip else self.count()  # no criterion skipped: the results
        counted = size <= PARTNER_FACET_LIMIT
        if not counted and not self.criteria.get(PARTNER_OF):
            return PartnerCounts()
        if counted and having is not None:
            organisations = bitmaps.ids(having)
        else:  # built only when needed: going through a text's ids (76,000 at 100,000) costs Django 100 ms
            organisations = self.narrowed(skip).order_by().values("pk")
        rows = FacetValue.objects.using(using).filter(facet=PARTNER_OF, organisation_id__in=organisations)
        chosen = [str(self.partner_ids[slug]) for slug in self.criteria.get(PARTNER_OF) or []]
        rows = rows.values_list("value").annotate(n=Count("pk"))
        if not counted:
            by_id = {int(value): n for value, n in rows.filter(value__in=chosen).order_by()}
            return self.partner_counts(by_id, counted=False)
        # At most SHORT_FACET + len(chosen) rows: the chosen ones, then the most frequent (ties by id), enough
        # for partner_counts to pick what it would from every count; with how many values there are. At 10,000
        # organisations, reading every value's count (3,400 rows) into Python cost 20 ms.
        rows = rows.annotate(total=Window(Count("value"))).order_by(
            Case(When(value__in=chosen, then=Value(0)), default=Value(1)), "-n", Cast("value", IntegerField())
        )[: SHORT_FACET + len(chosen)]
        rows = list(rows)
        by_id = {int(value): n for value, n, _ in rows}
        return self.partner_counts(by_id, total=rows[0][2] if rows else 0)

    def facets(self, expanded=(), counts=None):
        """{facet: FacetValues}: the values to show with their counts (see shown_facets); `counts`: the
        facet_counts() the caller has read already."""
        counts = self.facet_counts() if counts is None else counts
        return shown_facets(counts, self, FACET_CRITERION, expanded)


def shown_facets(counts, filterset, facet_criterion, expanded=()):
    """{facet: FacetValues} of these counts ({facet: {value: count}}) for the facets of `facet_criterion`
    ({facet: criterion}), by the criteria and labels of `filterset`. Shown: the values some result has, and
    the chosen ones even when none has them; a long facet only its most frequent values (and the chosen
    ones) unless its criterion is in `expanded`."""
    language = get_language() or settings.LANGUAGE_CODE
    labels, criteria = filterset.labels(language), filterset.criteria
    facets = {}
    for facet, criterion in facet_criterion.items():
        found = counts.get(facet, {})
        chosen = {str(v) for v in criteria.get(criterion) or [] if facet_of(criterion, v) == facet}
        vocabulary = labels[facet]
        if isinstance(found, PartnerCounts):  # names the values it lists; never expanded
            vocabulary = _by_name({**found.labels(language), **vocabulary})
            values = PartnerValues(found)
        else:
            values = FacetValues(available=sum(value in found for value in vocabulary), expanded=criterion in expanded)
        if values.trimmed:
            available = [value for value in vocabulary if value in found]
            top = sorted(available, key=lambda v: -found[v])[:SHORT_FACET]  # stable: ties in facet order
            shown = top + [v for v in vocabulary if v in chosen and v not in top]
        else:
            shown = [v for v in vocabulary if v in found or v in chosen]
        values.extend(
            {"value": v, "label": vocabulary[v], "count": found.get(v, 0), "selected": v in chosen} for v in shown
        )
        # A chosen value that names nothing (a sector code or donor that does not exist): shown as
        # typed, last, so every criterion in force can be seen and unticked.
        values.extend(
            {"value": v, "label": v, "count": 0, "selected": True} for v in sorted(chosen - vocabulary.keys())
        )
        facets[facet] = values
    return facets


class ResultIds:
    """Result ids as a paginator wants them: sliced from a queryset, counted by the filterset (which on
    PostgreSQL counts from the bitmaps it has read, instead of a COUNT over the criteria's joins)."""

    def __init__(self, ids, count):
        self.ids, self._count = ids, count

    def __getitem__(self, key):
        return self.ids[key]

    def count(self):
        return self._count()


def _cache_get(key):
    from django.core.cache import cache

    return cache.get(key)


def _cache_set(key, value):
    from django.core.cache import cache

    cache.set(key, value, settings.PUBLIC_PAGE_CACHE_TIMEOUT)


def _count(organisations, facets):
    """(facet, value, organisations) for these facets over these organisations (None: every published
    one), as a query; None without facets."""
    if not facets:
        return None
    rows = FacetValue.objects.filter(facet__in=list(facets))
    if organisations is not None:
        rows = rows.filter(organisation__in=organisations.order_by().values("pk"))
    return rows.values_list("facet", "value").annotate(n=Count("organisation_id")).order_by()


def _counted(rows):
    """{facet: {value: organisations}} from the rows of _count (one query)."""
    counts = defaultdict(dict)
    for facet, value, n in rows:
        counts[facet][value] = n
    return dict(counts)


class FacetValues(list):
    """The values one facet shows (dicts: value, label, count, selected), with how many values it has in
    all (`available`: those some organisation has) and whether it shows them all (`expanded`)."""

    uncounted = False  # see PartnerValues
    omitted = 0

    def __init__(self, *, available, expanded):
        super().__init__()
        self.available = available
        self.expanded = expanded

    @property
    def long(self):
        """Long enough to be cut to its most frequent values when not expanded."""
        return self.available > SHORT_FACET + SHORT_FACET_SLACK

    @property
    def trimmed(self):
        return self.long and not self.expanded


class PartnerValues(FacetValues):
    """"Worked with": the values its PartnerCounts lists, all shown (it has no list to expand), with how many
    other values it counted (`omitted`), or that it counted only the chosen ones (`uncounted`), and whether
    any is chosen (`chosen`)."""

    long = False

    def __init__(self, counts):
        super().__init__(available=len(counts), expanded=False)
        self.uncounted = counts.total is None
        self.omitted = 0 if self.uncounted else counts.total - len(counts)

    @property
    def chosen(self):
        return any(item["selected"] for item in self)

    @property
    def limit(self):
        return PARTNER_FACET_LIMIT


class PartnerCounts(dict):
    """"Worked with" counts ({slug: number of organisations}) of the values the facet lists: the SHORT_FACET
    most frequent and the chosen ones (a value for nearly every organisation would be thousands of
    values); `names` {slug: (name_fr, name_en)} of those, `total` the number of values counted (None when the
    organisations were too many to count, PARTNER_FACET_LIMIT: then only the chosen values are)."""

    def __init__(self, counts=(), *, total=None):
        super().__init__(counts)
        self.names = {}
        self.total = total

    def labels(self, language):
        return {slug: in_language(names, language) for slug, names in self.names.items()}


def _by_name(labels):
    """{value: label} sorted by label, accents and capitals ignored, then by value."""
    return dict(sorted(labels.items(), key=lambda pair: (fold(pair[1]), pair[0])))


def facet_labels(language):
    """{facet: {value: label}} in display order (countries and donors by name, accents and capitals
    ignored; kinds and roles as declared; sectors by code; "Worked with" none: its counts name the values they
    list), in `language`. Kept in the cache for the directory's generation (two queries when it is not
    there)."""
    current = generation()
    key = f"directory:facet-labels:{language}:{current}"
    labels = cache_call(_cache_get, key) if current is not None else None
    if labels is None:
        labels = _facet_labels(language)
        if current is not None:
            cache_call(_cache_set, key, labels)
    return labels


def _facet_labels(language):
    from django.utils import translation

    with translation.override(language):
        by_country = _by_name({code: str(name) for code, name in countries})
        kinds = {value: str(label) for value, label in Organisation.Kind.choices}
        roles = {value: str(label) for value, label in Experience.Role.choices}
    sectors, categories = {}, {}
    for code, fr, en, category, category_fr, category_en in Sector.objects.order_by("code").values_list(
        "code", "name_fr", "name_en", "category__code", "category__name_fr", "category__name_en"
    ):
        sectors[code] = f"{code} {in_language((fr, en), language)}"
        categories[category] = f"{category} {in_language((category_fr, category_en), language)}"
    donors = {}
    for pk, acronym, *names in Donor.objects.values_list("pk", "acronym", "name_fr", "name_en"):
        name = in_language(names, language)
        donors[str(pk)] = f"{acronym} – {name}" if acronym and name else acronym or name
    return {
        "country": by_country,
        "worked_in": by_country,
        "kind": kinds,
        "role": roles,
        "sector": sectors,
        "sector_category": dict(sorted(categories.items())),
        "experience_sector": sectors,
        "experience_sector_category": dict(sorted(categories.items())),
        "donor": dict(sorted(donors.items(), key=lambda pair: (fold(pair[1]), int(pair[0])))),
        PARTNER_OF: {},  # named by the search that lists them (Criteria.labels, PartnerCounts)
    }
