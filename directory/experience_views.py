"""The experiences list (/<lang>/experiences/?<criteria>): the published organisations' experiences as a
search of their own, with its print view (its feeds are in feeds.py, its exports in exports.py)."""

from typing import NamedTuple

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language

from experiences.models import Experience

from .criteria import OrganisationFilter, in_language, shared_criteria
from .experience_criteria import FACET_CRITERION, SORT_CHOICES, ExperienceFilter
from .views import (
    _page_number,
    _with_query,
    canonical_redirect,
    expanded_facets,
    experience_rows_of,
    facet_toggles,
    printed_list,
    profile_url_maker,
    result_page,
    search_query,
)

# The views the experiences list links with its current criteria.
LINKED_VIEWS = ["experiences_print", "experiences_feed_rss", "experiences_feed_atom", "experiences_csv",
                "experiences_xlsx", "experiences_json"]  # fmt: skip


CRITERIA = set(FACET_CRITERION.values())  # the facet criteria of the experiences list


def experience_search(request):
    """THE filtered experiences from request.GET: the list, its print view, feeds and exports share it."""
    return ExperienceFilter(request.GET)


def canonical_experience_search(request):
    """The experiences list's URLs written one way only (a 301 otherwise), as the organisation search's."""
    page = _page_number(request.GET.get("page"))
    expanded = expanded_facets(request, CRITERIA)
    query = search_query(experience_search(request), expanded, page=page if page > 1 else None)
    return canonical_redirect(request, query)


def experience_criteria_key(request):
    """The print view and feeds are cached under their criteria's canonical form."""
    request.canonical_query = experience_search(request).querystring()


class ExperienceListRow(NamedTuple):
    """One experience in the list: what the profile shows of it, and whose it is."""

    experience: object  # views.ExperienceRow
    url: str  # the organisation's profile, at this experience
    organisation: str
    acronym: str

    @property
    def funded(self):
        return sum(funding.amount for funding in self.experience.fundings)


def experience_list_rows(ids):
    """The rows of these experiences, in this order: five queries, whatever the number of rows."""
    language = get_language()
    related = {"experience_id__in": ids}
    experiences = experience_rows_of(Experience.objects.filter(pk__in=ids), related)
    url_of = profile_url_maker()
    organisations = Experience.objects.filter(pk__in=ids).values_list(
        "pk", "organisation__slug", "organisation__name_fr", "organisation__name_en", "organisation__acronym"
    )
    rows = {
        pk: ExperienceListRow(
            experience=experiences[pk],
            url=f"{url_of(slug)}#experience-{pk}",
            organisation=in_language((name_fr, name_en), language),
            acronym=acronym,
        )
        for pk, slug, name_fr, name_en, acronym in organisations
        if pk in experiences
    }
    return [rows[pk] for pk in ids if pk in rows]


def experiences(request):
    filterset = experience_search(request)
    expanded = expanded_facets(request, CRITERIA)
    here = reverse("directory:experiences")
    facets = filterset.facets(expanded)
    query = filterset.querystring()
    links = {name: _with_query(reverse(f"directory:{name}"), query) for name in LINKED_VIEWS}
    links["organisations"] = _with_query(reverse("directory:search"), shared_criteria(filterset, OrganisationFilter))
    links["statistics"] = _with_query(reverse("directory:statistics"), filterset.querystring(sort=None))
    links["alerts"] = _with_query(reverse("alerts:subscribe_experiences"), filterset.querystring(sort=None))
    ctx = {
        "filterset": filterset,
        "criteria": filterset.criteria,
        **result_page(request, filterset, expanded, here, experience_list_rows),
        "facets": facets,
        "facet_toggles": facet_toggles(here, filterset, facets, expanded),
        "expanded": expanded,
        "sort": filterset.sort_order,
        "sort_choices": SORT_CHOICES,
        "has_criteria": bool(query),
        "links": links,
    }
    return render(request, "directory/experiences.html", ctx)


def experiences_print(request):
    ctx = printed_list(experience_search(request), experience_list_rows)
    return render(request, "directory/experiences_print.html", ctx)
