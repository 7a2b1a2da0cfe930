"""The searches one can follow: the organisation search and the experiences list, each read by its own
criteria (directory/criteria.py, directory/experience_criteria.py: never filtered here another way), and
what a digest lists of each: the matches created or updated in a period."""

from typing import NamedTuple

from django.conf import settings
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse
from django.utils import translation

from directory.criteria import OrganisationFilter
from directory.experience_criteria import ExperienceFilter
from directory.experience_views import experience_list_rows
from directory.views import active_filters, result_rows

from .models import Subscription

DIGEST_SIZE = 50  # matches listed in one digest; beyond, the mail says how many more and links to the search


class Search(NamedTuple):
    criteria: type  # the directory's filterset
    page: str  # the search page's URL name
    subscribe: str  # this app's subscribe page for it
    rows: object  # ids -> the rows the directory's list shows
    key: str  # the field that tells a row which record it is
    key_of: object  # row -> that field's value


SEARCHES = {
    Subscription.Search.ORGANISATIONS: Search(
        OrganisationFilter, "directory:search", "alerts:subscribe", result_rows, "slug", lambda row: row.slug
    ),
    Subscription.Search.EXPERIENCES: Search(
        ExperienceFilter,
        "directory:experiences",
        "alerts:subscribe_experiences",
        experience_list_rows,
        "id",
        lambda row: row.experience.pk,
    ),
}


def filterset(search, query):
    """The directory's filterset of this search for a query string or QueryDict."""
    return SEARCHES[search].criteria(query if isinstance(query, QueryDict) else QueryDict(query))


def canonical(search, query):
    """The criteria of this query as the search writes them (invalid values dropped, values sorted), the sort
    order left out: a digest lists what changed, newest first."""
    return filterset(search, query).querystring(sort=None)


def page_url(search, criteria):
    """The search page with these criteria, in the active language."""
    path = reverse(SEARCHES[search].page)
    return f"{path}?{criteria}" if criteria else path


def described(search, criteria):
    """{"text": the free text, "filters": [{"name", "value"}]}: the search in words, in the active language."""
    found = filterset(search, criteria)
    chips = active_filters(reverse(SEARCHES[search].page), found, [])
    return {"text": found.text, "filters": [{"name": chip["name"], "value": chip["value"]} for chip in chips]}


def changed_in(start, end):
    """Created or updated in [start, end)."""
    return Q(created__gte=start, created__lt=end) | Q(updated__gte=start, updated__lt=end)


class Match(NamedTuple):
    row: object  # the directory list's row (its `url` is the page's path)
    new: bool  # created in the period (else: updated in it)


def matches(subscription, start, end):
    """(the first DIGEST_SIZE matches created or updated in [start, end), newest first, as Matches in the
    subscription's language; how many there are in all)."""
    search = SEARCHES[subscription.search]
    narrowed = filterset(subscription.search, subscription.criteria).narrowed()
    found = narrowed.filter(changed_in(start, end)).order_by("-updated", "-pk")
    found = list(found.values_list("pk", search.key, "created"))
    shown = found[:DIGEST_SIZE]
    new = {key for _pk, key, created in shown if created >= start}
    with translation.override(subscription.language):
        rows = search.rows([pk for pk, _key, _created in shown])
    return [Match(row, search.key_of(row) in new) for row in rows], len(found)


def absolute(path):
    return settings.SITE_URL + path
