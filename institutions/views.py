import datetime
import functools
from typing import NamedTuple

from django.core.paginator import Paginator
from django.db.models import CharField, OuterRef, Prefetch, StringAgg, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language, gettext, ngettext

from experiences.models import Experience, ExperienceCountry, Funding

from .facet_index import in_language
from .filters import SORT_CHOICES, OrganisationFilter, experience_count
from .models import Competence, Organisation, Sector
from .templatetags.platforma import country_names, translated_field

PAGE_SIZE = 20
# The views the search page links with its current criteria.
LINKED_VIEWS = ["print_results", "feed_rss", "feed_atom", "export_csv", "export_json"]
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


ROW_FIELDS = [
    *("pk", "slug", "name_fr", "name_en", "acronym", "kind", "city", "country", "updated"),
    *("experience_count", "codes"),  # annotations (_rows_queryset)
]


def profile_url_maker():
    """slug -> profile URL in the active language, with one reverse() for a whole list instead of one per
    organisation (a slug is plain ASCII: it goes into the URL as it is)."""
    return reverse("directory:profile", kwargs={"slug": "-slug-"}).replace("-slug-", "{}").format


@functools.cache
def _rows_queryset():
    """What result_rows() reads, but for which organisations. Built once per process (a query with two
    subqueries took longer to build than to run); each call narrows a copy of it."""
    # Each competence as "rank:id:code", in no set order: SQLite before 3.44 cannot order inside an
    # aggregate, so _ranked_codes() sorts them.
    entry = Concat(
        Cast("rank", CharField()), Value(":"), Cast("id", CharField()), Value(":"), "sector__code",
        output_field=CharField(),
    )
    codes = (
        Competence.objects.filter(organisation=OuterRef("pk"))
        .order_by()
        .values("organisation")
        .annotate(codes=StringAgg(entry, Value(" ")))
        .values("codes")
    )
    return (
        Organisation.objects.published()
        .annotate(experience_count=experience_count(), codes=Subquery(codes))
        .order_by()  # the page's order is the ids'
        .values_list(*ROW_FIELDS)
    )


def _ranked_codes(aggregated):
    """The sector codes by rank, then id, as the profile lists them: "2:7:15110 1:9:14030" -> ["14030",
    "15110"]."""
    entries = [entry.split(":") for entry in (aggregated or "").split()]
    return [code for _rank, _id, code in sorted(entries, key=lambda e: (int(e[0]), int(e[1])))]


def result_rows(ids, sector_names):
    """The search page's rows for these organisations, in this order, from ONE query of plain values (no
    model instances: building them cost more than the query). The number of experiences and the
    competences' codes (by rank) come with each row; the codes are named from `sector_names`, the facet
    index's {code: (name_fr, name_en)}."""
    language = get_language() or "fr"
    kinds, names_of_countries = dict(Organisation.Kind.choices), country_names(language)
    url_of = profile_url_maker()
    values = _rows_queryset().filter(pk__in=ids)
    found = {}
    for pk, slug, name_fr, name_en, acronym, kind, city, country, updated, experiences, codes in values:
        found[pk] = ResultRow(
            slug=slug,
            url=url_of(slug),
            name=in_language((name_fr, name_en), language),
            acronym=acronym,
            kind=str(kinds.get(kind, kind)),
            place=", ".join(part for part in (city, names_of_countries.get(country, "")) if part),
            competences=[in_language(sector_names[c], language) for c in _ranked_codes(codes) if c in sector_names],
            experiences=ngettext("%(counter)s experience", "%(counter)s experiences", experiences)
            % {"counter": experiences},
            updated=updated,
        )
    return [found[pk] for pk in ids if pk in found]


def search(request):
    filterset = organisation_search(request)
    filterset.count_experiences = False
    paginator = CountedPaginator(result_ids(filterset), PAGE_SIZE, filterset.count())
    page = paginator.get_page(_page_number(request.GET.get("page")))
    page.object_list = result_rows(list(page.object_list), filterset.index.labels["sector"])
    query = filterset.querystring()
    here = reverse("directory:search")
    page_links = [
        {
            "number": n,
            "url": _with_query(here, filterset.querystring(page=n if n > 1 else None)),
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
        "previous_url": _with_query(
            here, filterset.querystring(page=page.number - 1 if page.number > 2 else None)
        )
        if page.has_previous()
        else None,
        "next_url": _with_query(here, filterset.querystring(page=page.number + 1))
        if page.has_next()
        else None,
        "facets": filterset.facets(),
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


def _published_profile(slug):
    """One published organisation with everything its profile shows, in a fixed number of queries
    however many experiences it has (the prefetches guard against N+1)."""
    experiences = Experience.objects.order_by("-start_date", "id").prefetch_related(
        Prefetch("sectors", queryset=Sector.objects.defer(*LONG_TEXT)),  # the profile shows sector names
        # Ordered by id alone: the model's ordering ("experience") would join experiences and organisations.
        Prefetch("countries", queryset=ExperienceCountry.objects.order_by("id")),
        Prefetch("fundings", queryset=Funding.objects.select_related("donor").order_by("id")),
    )
    organisations = with_competences(Organisation.objects.published()).prefetch_related(
        Prefetch("experiences", queryset=experiences)
    )
    return get_object_or_404(organisations, slug=slug)


def _jsonld(request, organisation):
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
        "knowsAbout": [c.sector.name for c in organisation.competences.all()],
    }
    data.update({key: value for key, value in optional.items() if value})
    return data


def _profile_context(request, slug):
    organisation = _published_profile(slug)
    return {"organisation": organisation, "jsonld": _jsonld(request, organisation)}


def profile(request, slug):
    return render(request, "directory/profile.html", _profile_context(request, slug))


def profile_print(request, slug):
    return render(request, "directory/profile_print.html", _profile_context(request, slug))
