from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from experiences.models import Experience, Funding

from .filters import SORT_CHOICES, OrganisationFilter
from .models import Competence, Organisation, Sector
from .templatetags.platforma import translated_field

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


def _count_experiences(organisations):
    """experience_count for a page of organisations, in one query."""
    missing = [o for o in organisations if not hasattr(o, "experience_count")]
    if missing:
        rows = Experience.objects.filter(organisation__in=missing).order_by().values("organisation")
        counts = dict(rows.annotate(n=Count("pk")).values_list("organisation", "n"))
        for organisation in missing:
            organisation.experience_count = counts.get(organisation.pk, 0)


class IndexOrderedResults:
    """The result list as the paginator sees it, when the facet index knows the order: a slice is the ids
    the index gives for it, then one query for those organisations (SQL never sorts the whole result)."""

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
        ids = self.filterset.ordered_ids(item.start or 0, item.stop if item.stop is not None else len(self))
        listed = Organisation.objects.published().defer(*LONG_TEXT)  # a result shows no description
        rows = with_competences(listed).in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]

    def __iter__(self):
        return iter(self[:])


def ordered_results(filterset):
    """The results in the order asked, sliceable: from the facet index when it knows the order (by name,
    relevance), else SQL. The search page and its print view list the same thing in the same order."""
    if filterset.ordered_by_index:
        return IndexOrderedResults(filterset)
    return with_competences(filterset.qs)


def search(request):
    filterset = organisation_search(request)
    filterset.count_experiences = False
    paginator = CountedPaginator(ordered_results(filterset), PAGE_SIZE, filterset.count())
    page = paginator.get_page(_page_number(request.GET.get("page")))
    _count_experiences(page.object_list)
    query = filterset.querystring()
    here = reverse("directory:search")
    page_links = [
        {
            "number": n,
            "url": _with_query(here, filterset.querystring(page=n if n > 1 else None)),
            "current": n == page.number,
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
    organisations = list(ordered_results(filterset)[: PRINT_LIMIT + 1])
    _count_experiences(organisations)
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
        "countries",
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
