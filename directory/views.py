import datetime
from collections import defaultdict
from types import SimpleNamespace
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language, gettext, ngettext

from experiences.models import Experience, ExperienceCountry, Funding, Participant
from experiences.partnerships import SHOWN_PARTICIPANT, actions_as_partner, worked_with
from institutions.cache import cache_call, generation
from institutions.formatting import country_names
from institutions.models import Competence, Organisation

from .criteria import (
    CRITERION_FACETS,
    PARTNER_OF,
    SORT_CHOICES,
    OrganisationFilter,
    experience_count,
    facet_of,
    in_language,
    shared_criteria,
)
from .experience_criteria import ExperienceFilter
from .translated import Translated, translated_field
from .world_map import world_map

PAGE_SIZE = 20
MAX_PAGE = 10_000  # deeper pages are answered with the last one a person could reach by links
# The views the search page links with its current criteria.
LINKED_VIEWS = [
    "print_results",
    "feed_rss",
    "feed_atom",
    "export_csv",
    "export_xlsx",
    "export_json",
    "export_experiences_csv",
    "export_experiences_xlsx",
    "export_experiences_json",
]
PRINT_LIMIT = 2000  # a printed list longer than this is a document nobody prints; the page says so
LONG_TEXT = ["description", "description_fr", "description_en"]


def organisation_search(request):
    """THE filtered organisations from request.GET: the search page, print view, feeds and exports share it."""
    return OrganisationFilter(request.GET, queryset=Organisation.objects.published())


def expanded_facets(request, criteria=CRITERION_FACETS):
    """The facets the visitor opened in full (`more`, repeatable, by criterion name); others ignored, and
    "Worked with" too (it always lists its most frequent values: PartnerValues)."""
    return sorted(name for name in set(request.GET.getlist("more")) if name in criteria and name != PARTNER_OF)


def canonical_query(request, filterset=None):
    """The one way to write this search's query string: criteria in force (empty and default values left
    out, values sorted), then the page and the facets opened in full. No query string is written one way
    only (the first page, the most visited, needs no filterset for that)."""
    if not request.META.get("QUERY_STRING") and filterset is None:
        return ""
    filterset = filterset or organisation_search(request)
    page = _page_number(request.GET.get("page"))
    return search_query(filterset, expanded_facets(request), page=page if page > 1 else None)


def canonical_search(request):
    """A search URL not written canonically (`?q=&sort=name&active_from=`, `?cb=123`, values in another
    order) is answered with a 301 to its canonical form, so shared links and the page cache see one URL
    per search. Returns None when the URL is already canonical (and notes it for the page cache key)."""
    return canonical_redirect(request, canonical_query(request))


def canonical_redirect(request, query):
    """A 301 to this canonical query string when the request's is written otherwise; else None, and the
    query noted for the page cache key."""
    if request.META.get("QUERY_STRING", "") != query:
        return HttpResponsePermanentRedirect(_with_query(request.path, query))
    request.canonical_query = query
    return None


def criteria_key(request):
    """Pages that follow the search's criteria (print view, feeds) are cached under their canonical form."""
    request.canonical_query = organisation_search(request).querystring() if request.GET else ""


def no_criteria_key(request):
    """Pages that read no parameter (a profile) are one cache entry whatever the query string says."""
    request.canonical_query = ""


def _page_number(value):
    # page=0 or page=-3 means the first page; page=abc too; a huge number the last one (Paginator.get_page).
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def _with_query(url, query):
    return f"{url}?{query}" if query else url


def search_query(filterset, expanded, page=None):
    more = "&".join(f"more={name}" for name in expanded)
    return "&".join(part for part in (filterset.querystring(page=page), more) if part)


class ResultRow(NamedTuple):
    """One search result as the page shows it: plain values, ready for the template."""

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


def result_rows(ids):
    """The rows of these organisations, in this order: two queries of plain values (the organisations with
    their numbers of experiences, their competences), whatever the number of rows. The search page, its
    print view and the feeds list organisations this way."""
    language = get_language() or settings.LANGUAGE_CODE
    kinds, names_of_countries = dict(Organisation.Kind.choices), country_names(language)
    competences = defaultdict(list)
    for pk, *names in (
        Competence.objects.filter(organisation__in=ids)
        .order_by("rank", "id")
        .values_list("organisation_id", "sector__name_fr", "sector__name_en")
    ):
        competences[pk].append(in_language(names, language))
    url_of = profile_url_maker()
    found = {}
    rows = Organisation.objects.filter(pk__in=ids).annotate(n=experience_count())
    for pk, slug, name_fr, name_en, acronym, kind, city, country, updated, n in rows.values_list(*ROW_FIELDS, "n"):
        found[pk] = ResultRow(
            slug=slug,
            url=url_of(slug),
            name=in_language((name_fr, name_en), language),
            acronym=acronym,
            kind=str(kinds.get(kind, kind)),
            place=", ".join(part for part in (city, names_of_countries.get(country, "")) if part),
            competences=competences[pk],
            experiences=ngettext("%(counter)s experience", "%(counter)s experiences", n) % {"counter": n},
            updated=updated,
        )
    return [found[pk] for pk in ids if pk in found]


def facet_toggles(here, filterset, facets, expanded):
    """{criterion: {"url", "label", "full"} or None}: for each long facet, the link that shows all its values
    (full: true), or only the most frequent ones again; back to the facet itself (#facet-<criterion>)."""
    toggles = dict.fromkeys(CRITERION_FACETS)
    for criterion, names in CRITERION_FACETS.items():
        lists = [facets[name] for name in names if name in facets]  # the experiences list has fewer
        if not any(values.long for values in lists):
            continue
        if criterion in expanded:
            url = _with_query(here, search_query(filterset, [name for name in expanded if name != criterion]))
            label = gettext("Show the most frequent values")
        else:
            url = _with_query(here, search_query(filterset, sorted([*expanded, criterion])))
            label = gettext("Show all values (%(count)s)") % {"count": sum(values.available for values in lists)}
        toggles[criterion] = {"url": f"{url}#facet-{criterion}", "label": label, "full": criterion not in expanded}
    return toggles


def directory_counts():
    """The front page's figures: published organisations, their countries, their experiences. Two queries,
    kept in the cache for the directory's generation like the first page's facet counts (the same setting,
    FACET_COUNTS_CACHE, turns both off)."""
    current = generation() if settings.FACET_COUNTS_CACHE else None
    key = f"directory:counts:{current}"
    counts = cache_call(cache.get, key) if current is not None else None
    if counts is None:
        published = Organisation.objects.published()
        counts = published.aggregate(
            organisations=Count("pk"), countries=Count("country", distinct=True, filter=~Q(country=""))
        )
        counts["experiences"] = Experience.objects.filter(organisation__in=published.values("pk")).count()
        if current is not None:
            cache_call(cache.set, key, counts, settings.PUBLIC_PAGE_CACHE_TIMEOUT)
    return counts


def active_filters(here, filterset, expanded):
    """The filters in force, one chip per value: {"pair", "name", "value", "url"}: the (criterion, value) pair,
    how the page names them, and the same search
    without that value (written by OrganisationFilter.querystring, so it is canonical). The text is in the
    search box and the sort is no filter: neither is a chip."""
    labels = filterset.labels(get_language() or settings.LANGUAGE_CODE)
    pairs = filterset.criteria_pairs
    chips = []
    for pair in pairs:
        name, value = pair
        if name in ("q", "sort"):
            continue
        shown = labels[facet_of(name, value)].get(value, value) if name in CRITERION_FACETS else value
        without = filterset.derived(OrganisationFilter, urlencode([other for other in pairs if other != pair]))
        url = _with_query(here, search_query(without, expanded))
        chips.append({"pair": pair, "name": filterset.filters[name].label, "value": shown, "url": url})
    return chips


def result_page(request, filterset, expanded, here, rows):
    """The page of results the request asks for (its object_list made into `rows(ids)`), with the links
    to the other pages: the context the search pages share."""
    paginator = Paginator(filterset.result_ids(), PAGE_SIZE)
    page = paginator.get_page(_page_number(request.GET.get("page")))
    page.object_list = rows(list(page.object_list))

    def page_url(number):
        return _with_query(here, search_query(filterset, expanded, page=number if number > 1 else None))

    page_links = [
        {"number": n, "url": page_url(n), "current": n == page.number} if isinstance(n, int) else {"gap": True}
        for n in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    return {
        "page": page,
        "page_links": page_links,
        "previous_url": page_url(page.number - 1) if page.has_previous() else None,
        "next_url": page_url(page.number + 1) if page.has_next() else None,
    }


def search(request):
    filterset = organisation_search(request)
    expanded = expanded_facets(request)
    here = reverse("directory:search")
    pages = result_page(request, filterset, expanded, here, result_rows)
    counts = filterset.facet_counts()
    facets = filterset.facets(expanded, counts=counts)
    query = filterset.querystring()
    corrected = filterset.corrected
    front = not query and pages["page"].number == 1
    ctx = {
        "filterset": filterset,
        "criteria": filterset.criteria,
        "front": front,
        "counts": directory_counts() if front else None,
        "contact_email": settings.CONTACT_EMAIL,
        "chips": active_filters(here, filterset, expanded),
        **pages,
        "facets": facets,
        "facet_toggles": facet_toggles(here, filterset, facets, expanded),
        "expanded": expanded,
        "sort": filterset.sort_order,
        "sort_choices": SORT_CHOICES,
        "has_criteria": bool(query),
        "suggestion": corrected,
        "suggestion_url": _with_query(here, filterset.querystring(q=corrected)) if corrected else None,
        "links": {name: _with_query(reverse(f"directory:{name}"), query) for name in LINKED_VIEWS},
        # The thumbnail of the statistics' map: the countries of action by the facet counts already read (how
        # many organisations each would give, as the facet lists say), no query of its own.
        "thumbnail": world_map(counts.get("worked_in", {}), {}, lambda code: "", small=True),
    }
    # The experiences list and the statistics with the criteria they share with this search (the sorts of
    # the two lists differ: none is carried over).
    experiences = shared_criteria(filterset, ExperienceFilter)
    ctx["links"]["experiences"] = _with_query(reverse("directory:experiences"), experiences)
    ctx["links"]["statistics"] = _with_query(reverse("directory:statistics"), experiences)
    ctx["links"]["partnerships"] = _with_query(reverse("directory:partnerships"), filterset.querystring(sort=None))
    ctx["links"]["alerts"] = _with_query(reverse("alerts:subscribe"), filterset.querystring(sort=None))
    return render(request, "directory/search.html", ctx)


def printed_list(filterset, rows):
    """The context of a printed list: every result up to PRINT_LIMIT made into `rows(ids)`, and whether
    there were more."""
    ids = list(filterset.result_ids()[: PRINT_LIMIT + 1])
    return {
        "filterset": filterset,
        "criteria": filterset.criteria,
        "rows": rows(ids[:PRINT_LIMIT]),
        "truncated": len(ids) > PRINT_LIMIT,
        "limit": PRINT_LIMIT,
    }


def print_results(request):
    return render(request, "directory/print_results.html", printed_list(organisation_search(request), result_rows))


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
    participants: list  # ParticipantRow, in the order they were entered


class ParticipantRow(NamedTuple):
    """Another participant of an action: an organisation of the directory (with its profile URL) or one
    not listed here (with its country and kind)."""

    name: str
    url: str  # "" when not listed here
    role: str
    country: str
    kind: str


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
    """The organisation's experiences, newest first, as ExperienceRows (see experience_rows_of)."""
    experiences = organisation.experiences.order_by("-start_date", "id")
    return list(experience_rows_of(experiences, {"experience__organisation": organisation}).values())


def experience_rows_of(experiences, related):
    """{id: ExperienceRow} of these experiences, in their order: four queries of plain values (the
    experiences, then the sectors, countries and fundings of all of them, `related` being the filter that
    selects those rows), however many there are. Model instances and prefetches cost the profile more than
    its queries did."""
    language = get_language() or "fr"
    sectors, countries, fundings = defaultdict(list), defaultdict(list), defaultdict(list)
    sector_rows = Experience.sectors.through.objects.filter(**related).order_by("sector__code")
    for pk, *names in sector_rows.values_list("experience_id", "sector__name_fr", "sector__name_en"):
        sectors[pk].append(in_language(names, language))
    names_of_countries = country_names(language)
    country_rows = ExperienceCountry.objects.filter(**related).order_by("id")
    for pk, code in country_rows.values_list("experience_id", "country"):
        countries[pk].append(names_of_countries.get(code, code))
    funding_rows = Funding.objects.filter(**related).order_by("id")
    for pk, acronym, name_fr, name_en, amount in funding_rows.values_list(
        "experience_id", "donor__acronym", "donor__name_fr", "donor__name_en", "amount"
    ):
        fundings[pk].append(FundingRow(acronym, in_language((name_fr, name_en), language), amount))
    roles = dict(Experience.Role.choices)
    participants = participant_rows(Participant.objects.filter(SHOWN_PARTICIPANT, **related), language, roles)
    rows = {}
    for values in experiences.values(*EXPERIENCE_FIELDS):
        texts = SimpleNamespace(**values)
        pk = values["id"]
        rows[pk] = ExperienceRow(
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
            participants=participants[pk],
        )
    return rows


def participant_rows(participants, language, roles):
    """{experience id: [ParticipantRow]} of these participants, in the order they were entered (one query)."""
    profile_url = profile_url_maker()
    names_of_countries = country_names(language)
    kinds = dict(Organisation.Kind.choices)
    rows = defaultdict(list)
    for pk, slug, name_fr, name_en, acronym, name, country, kind, role in participants.order_by("id").values_list(
        "experience_id",
        "organisation__slug",
        "organisation__name_fr",
        "organisation__name_en",
        "organisation__acronym",
        "name",
        "country",
        "kind",
        "role",
    ):
        listed_name = in_language((name_fr, name_en), language)
        rows[pk].append(
            ParticipantRow(
                name=(f"{listed_name} ({acronym})" if acronym else listed_name) if slug else name,
                url=profile_url(slug) if slug else "",
                role=str(roles.get(role, role)),
                country="" if slug else names_of_countries.get(country, country),
                kind="" if slug else str(kinds.get(kind, kind)),
            )
        )
    return rows


class PartnerActionRow(NamedTuple):
    """An action of another organisation in which this one took part (its profile's "Actions as a partner")."""

    title: Translated
    url: str  # the action on its owner's profile
    owner: str
    owner_url: str
    role: str
    start_date: datetime.date
    end_date: object


class WorkedWithRow(NamedTuple):
    name: str
    url: str
    actions: int
    first_year: int
    last_year: int


def partner_action_rows(organisation):
    roles = dict(Experience.Role.choices)
    rows = []
    for participant in actions_as_partner(organisation):
        experience, owner = participant.experience, participant.experience.organisation
        owner_url = owner.get_absolute_url()
        rows.append(
            PartnerActionRow(
                title=translated_field(experience, "title"),
                url=f"{owner_url}#experience-{experience.pk}",
                owner=translated_field(owner, "name").text,
                owner_url=owner_url,
                role=str(roles.get(participant.role, participant.role)),
                start_date=experience.start_date,
                end_date=experience.end_date,
            )
        )
    return rows


def worked_with_rows(organisation):
    return [
        WorkedWithRow(translated_field(partner, "name").text, partner.get_absolute_url(), actions, first, last)
        for partner, actions, first, last in worked_with(organisation)
    ]


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
        "partner_actions": partner_action_rows(organisation),
        "worked_with": worked_with_rows(organisation),
        "jsonld": _jsonld(request, organisation, competences),
    }


def profile(request, slug):
    return render(request, "directory/profile.html", _profile_context(request, slug))


def profile_print(request, slug):
    return render(request, "directory/profile_print.html", _profile_context(request, slug))
