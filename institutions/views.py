import datetime
import functools
import operator
from collections import defaultdict
from types import SimpleNamespace
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language, gettext, ngettext

from experiences.models import Experience, ExperienceCountry, Funding

from .facet_index import CRITERION_FACETS, in_language
from .filters import SORT_CHOICES, OrganisationFilter, experience_count
from .models import Competence, Organisation
from .search import Among
from .templatetags.platforma import Translated, country_names, translated_field

PAGE_SIZE = 20
# The views the search page links with its current criteria.
LINKED_VIEWS = ["print_results", "feed_rss", "feed_atom", "export_csv", "export_xlsx", "export_json",
                "export_experiences_csv", "export_experiences_xlsx", "export_experiences_json"]
PRINT_LIMIT = 2000  # a printed list longer than this is a document nobody prints; the page says so


def organisation_search(request):
    """THE filtered queryset from request.GET: the search page, print view, feeds and exports share it."""
    return OrganisationFilter(request.GET, queryset=Organisation.objects.published())


LONG_TEXT = ["description", "description_fr", "description_en"]


def with_competences(queryset):
    """Competences and their sectors for a whole list in one extra query (sector names, not descriptions)."""
    competences = Competence.objects.select_related("sector").defer(*(f"sector__{f}" for f in LONG_TEXT))
    return queryset.prefetch_related(Prefetch("competences", queryset=competences.order_by("rank", "id")))


def _page_number(value):
    # page=0 or page=-3 means the first page; page=abc too; page=999999 the last (Paginator.get_page).
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


def _with_query(url, query):
    return f"{url}?{query}" if query else url


class CountedPaginator(Paginator):
    """A Paginator told the total instead of asking the database for it (the facet index knows it)."""

    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self._count = count

    @property
    def count(self):
        return self._count


class IndexOrderedIds:
    """The result ids as the paginator sees them, when the facet index knows the order: a slice is read
    from the index (SQL never sorts the whole result)."""

    def __init__(self, filterset):
        self.filterset = filterset

    def __len__(self):
        return self.filterset.count()

    def __getitem__(self, item):
        if not isinstance(item, slice):
            found = self[item : item + 1] if item >= 0 else []
            if not found:
                raise IndexError(item)
            return found[0]
        return self.filterset.ordered_ids(item.start or 0, item.stop if item.stop is not None else len(self))


def result_ids(filterset):
    """The ids of the results in the order asked, sliceable: from the facet index when it knows the order
    (by name, relevance), else SQL. The search page and its print view list the same thing in the same
    order."""
    if filterset.ordered_by_index:
        return IndexOrderedIds(filterset)
    return filterset.qs.values_list("pk", flat=True)


class ResultRow(NamedTuple):
    """One search result as the page shows it: plain text, ready for the template."""

    slug: str
    url: str
    name: str
    acronym: str
    kind: str
    place: str  # "City, Country"
    competences: list
    experiences: str  # "3 experiences"
    updated: datetime.datetime


ROW_FIELDS = ["pk", "slug", "name_fr", "name_en", "acronym", "kind", "city", "country", "updated"]


def profile_url_maker():
    """slug -> profile URL in the active language, with one reverse() for a whole list instead of one per
    organisation (a slug is plain ASCII: it goes into the URL as it is)."""
    return reverse("directory:profile", kwargs={"slug": "-slug-"}).replace("-slug-", "{}").format


@functools.cache
def _rows_statement(alias):
    """The rows' query compiled once per database, with its ids as its last parameter (pk__among): the
    ORM took three times as long to build and compile it as the database to run it. Returns (sql, the
    other parameters, the compiler, which converts the columns' values as the ORM would)."""
    queryset = Organisation.objects.published().using(alias).filter(pk__among=[]).order_by()
    compiler = queryset.values_list(*ROW_FIELDS).query.get_compiler(alias)
    sql, params = compiler.as_sql()
    return sql, params[:-1], compiler


def _rows_of(ids):
    """The ROW_FIELDS of these published organisations, in no set order."""
    alias = Organisation.objects.db  # where the ORM would read them (institutions.routers)
    sql, params, compiler = _rows_statement(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, Among.parameter(ids, connection)))
        # The columns are not in ROW_FIELDS' order (modeltranslation's values_list reorders them): by name.
        columns = [column[0] for column in cursor.description]
        rows = compiler.results_iter(results=[cursor.fetchall()])
    in_order = operator.itemgetter(*(columns.index(name) for name in ROW_FIELDS))
    return [in_order(row) for row in rows]


def result_rows(ids, index):
    """The search page's rows for these organisations, in this order: their own columns from ONE query of
    plain values (no model instances: building them cost more than the query, _rows_of); their number of
    experiences and their competences (codes by rank, named in the page's language) from the facet index
    (`index`), which keeps them for every public organisation: as two subqueries, they were most of the
    database's work for a search page."""
    language = get_language() or "fr"
    kinds, names_of_countries = dict(Organisation.Kind.choices), country_names(language)
    sector_names = index.labels["sector"]
    url_of = profile_url_maker()
    found = {}
    for pk, slug, name_fr, name_en, acronym, kind, city, country, updated in _rows_of(ids):
        experiences, codes = index.summary(pk)
        found[pk] = ResultRow(
            slug=slug,
            url=url_of(slug),
            name=in_language((name_fr, name_en), language),
            acronym=acronym,
            kind=str(kinds.get(kind, kind)),
            place=", ".join(part for part in (city, names_of_countries.get(country, "")) if part),
            competences=[in_language(sector_names[code], language) for code in codes if code in sector_names],
            experiences=ngettext("%(counter)s experience", "%(counter)s experiences", experiences)
            % {"counter": experiences},
            updated=updated,
        )
    return [found[pk] for pk in ids if pk in found]


def expanded_facets(request):
    """The facets the visitor opened in full (`more`, repeatable, by criterion name); others ignored."""
    return [name for name in dict.fromkeys(request.GET.getlist("more")) if name in CRITERION_FACETS]


def search_url(here, filterset, expanded, page=None):
    """The search page (`here`) with these criteria, this page and these facets opened in full."""
    query = "&".join(part for part in (filterset.querystring(page=page), urlencode({"more": expanded}, True)) if part)
    return _with_query(here, query)


def facet_toggles(here, filterset, facets, expanded):
    """{criterion: {"url", "label"} or None}: for each long facet, the link that shows all its values, or
    only the most frequent ones again; back to the facet itself (#facet-<criterion>)."""
    toggles = dict.fromkeys(CRITERION_FACETS)  # every key present: a missing one costs the template a dir()
    for criterion, names in CRITERION_FACETS.items():
        lists = [facets[name] for name in names]
        if not any(values.long for values in lists):
            continue
        if criterion in expanded:
            url = search_url(here, filterset, [name for name in expanded if name != criterion])
            label = gettext("Show the most frequent values")
        else:
            url = search_url(here, filterset, [*expanded, criterion])
            label = gettext("Show all values (%(count)s)") % {"count": sum(values.available for values in lists)}
        toggles[criterion] = {"url": f"{url}#facet-{criterion}", "label": label}
    return toggles


def search(request):
    filterset = organisation_search(request)
    filterset.count_experiences = False
    expanded = expanded_facets(request)
    paginator = CountedPaginator(result_ids(filterset), PAGE_SIZE, filterset.count())
    page = paginator.get_page(_page_number(request.GET.get("page")))
    page.object_list = result_rows(list(page.object_list), filterset.index)
    query = filterset.querystring()
    here = reverse("directory:search")
    facets = filterset.facets(expanded)
    page_links = [
        {
            "number": n,
            "url": search_url(here, filterset, expanded, page=n if n > 1 else None),
            "current": n == page.number,
            "label": gettext("Page %(number)s") % {"number": n},
        }
        if isinstance(n, int)
        else {"gap": True}
        for n in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    ctx = {
        "filterset": filterset,
        "criteria": filterset.criteria,
        "page": page,
        "page_links": page_links,
        "previous_url": search_url(here, filterset, expanded, page=page.number - 1 if page.number > 2 else None)
        if page.has_previous()
        else None,
        "next_url": search_url(here, filterset, expanded, page=page.number + 1) if page.has_next() else None,
        "facets": facets,
        "facet_toggles": facet_toggles(here, filterset, facets, expanded),
        "expanded": expanded,
        "sort": filterset.sort_order,
        "sort_choices": SORT_CHOICES,
        "has_criteria": any(v for k, v in filterset.criteria.items() if k != "sort"),
        "links": {name: _with_query(reverse(f"directory:{name}"), query) for name in LINKED_VIEWS},
    }
    return render(request, "directory/search.html", ctx)


def print_results(request):
    filterset = organisation_search(request)
    ids = list(result_ids(filterset)[: PRINT_LIMIT + 1])
    listed = Organisation.objects.published().defer(*LONG_TEXT).annotate(experience_count=experience_count())
    found = with_competences(listed).in_bulk(ids)
    organisations = [found[pk] for pk in ids if pk in found]
    ctx = {
        "filterset": filterset,
        "criteria": filterset.criteria,
        "organisations": organisations[:PRINT_LIMIT],
        "truncated": len(organisations) > PRINT_LIMIT,
        "limit": PRINT_LIMIT,
    }
    return render(request, "directory/print_results.html", ctx)


class CompetenceRow(NamedTuple):
    code: str
    name: str


class ExperienceRow(NamedTuple):
    """One experience as the profile shows it: plain values, ready for the markup (experience_articles)."""

    pk: int
    title: Translated
    objectives: Translated
    results: Translated
    sectors: list  # names, by code
    countries: list  # names, in the order they were entered
    cost: object  # Decimal or None
    role: str
    fundings: list  # FundingRow, in the order they were entered
    start_date: datetime.date
    end_date: object  # date or None (still going)


class FundingRow(NamedTuple):
    acronym: str
    name: str  # in the page's language, else the other
    amount: object  # Decimal

    @property
    def donor(self):
        """How the page names a donor (as Donor.__str__): its acronym, else its name."""
        return self.acronym or self.name


EXPERIENCE_FIELDS = [
    *("id", "cost", "role", "start_date", "end_date"),
    *(f"{field}_{code}" for field in ("title", "objectives", "results") for code, _name in settings.LANGUAGES),
]


def competence_rows(organisation):
    """(code, name) of the organisation's competences, by rank then id."""
    language = get_language() or "fr"
    rows = organisation.competences.order_by("rank", "id").values_list(
        "sector__code", "sector__name_fr", "sector__name_en"
    )
    return [CompetenceRow(code, in_language((name_fr, name_en), language)) for code, name_fr, name_en in rows]


def experience_rows(organisation):
    """The organisation's experiences, newest first, as ExperienceRows: four queries of plain values (the
    experiences, then the sectors, countries and fundings of all of them), however many there are. Model
    instances and prefetches cost the profile more than its queries did."""
    language = get_language() or "fr"
    of_organisation = {"experience__organisation": organisation}
    sectors, countries, fundings = defaultdict(list), defaultdict(list), defaultdict(list)
    sector_rows = Experience.sectors.through.objects.filter(**of_organisation).order_by("sector__code")
    for pk, *names in sector_rows.values_list("experience_id", "sector__name_fr", "sector__name_en"):
        sectors[pk].append(in_language(names, language))
    names_of_countries = country_names(language)
    country_rows = ExperienceCountry.objects.filter(**of_organisation).order_by("id")
    for pk, code in country_rows.values_list("experience_id", "country"):
        countries[pk].append(names_of_countries.get(code, code))
    funding_rows = Funding.objects.filter(**of_organisation).order_by("id")
    for pk, acronym, name_fr, name_en, amount in funding_rows.values_list(
        "experience_id", "donor__acronym", "donor__name_fr", "donor__name_en", "amount"
    ):
        fundings[pk].append(FundingRow(acronym, in_language((name_fr, name_en), language), amount))
    roles = dict(Experience.Role.choices)
    rows = []
    for values in organisation.experiences.order_by("-start_date", "id").values(*EXPERIENCE_FIELDS):
        texts = SimpleNamespace(**values)
        pk = values["id"]
        rows.append(
            ExperienceRow(
                pk=pk,
                title=translated_field(texts, "title"),
                objectives=translated_field(texts, "objectives"),
                results=translated_field(texts, "results"),
                sectors=sectors[pk],
                countries=countries[pk],
                cost=values["cost"],
                role=str(roles.get(values["role"], values["role"])),
                fundings=fundings[pk],
                start_date=values["start_date"],
                end_date=values["end_date"],
            )
        )
    return rows


def _jsonld(request, organisation, competences):
    """schema.org Organization: what search engines read about this profile."""
    data = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": request.build_absolute_uri(organisation.get_absolute_url()),
        "url": request.build_absolute_uri(organisation.get_absolute_url()),
        "name": translated_field(organisation, "name").text,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": organisation.street,
            "postalCode": organisation.zip_code,
            "addressLocality": organisation.city,
            "addressCountry": organisation.country.code,
        },
    }
    optional = {
        "alternateName": organisation.acronym,
        "description": translated_field(organisation, "description").text,
        "email": organisation.email,
        "telephone": organisation.telephone,
        "faxNumber": organisation.fax,
        "sameAs": organisation.website,
        "knowsAbout": [competence.name for competence in competences],
    }
    data.update({key: value for key, value in optional.items() if value})
    return data


def _profile_context(request, slug):
    organisation = get_object_or_404(Organisation.objects.published(), slug=slug)
    competences = competence_rows(organisation)
    return {
        "organisation": organisation,
        "competences": competences,
        "experiences": experience_rows(organisation),
        "jsonld": _jsonld(request, organisation, competences),
    }


def profile(request, slug):
    return render(request, "directory/profile.html", _profile_context(request, slug))


def profile_print(request, slug):
    return render(request, "directory/profile_print.html", _profile_context(request, slug))
