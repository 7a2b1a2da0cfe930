"""RSS 2.0 and Atom feeds: valid, following the search criteria, in the request's language."""

import feedparser
import pytest

from institutions.models import Organisation
from institutions.search import refresh_search_documents
from tests.search_data import TEXT_QUERIES


def parse(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return response, feed


@pytest.mark.parametrize("kind,version", [("rss", "rss20"), ("atom", "atom10")])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_feed_is_valid_and_lists_published_organisations(client, directory, kind, version, lang):
    response, feed = parse(client, f"/{lang}/feed/{kind}/")
    assert feed.version == version
    links = {entry.link for entry in feed.entries}
    assert links == {
        f"http://testserver/{lang}/organisations/{slug}/"
        for slug in ("aimf", "ville-de-lyon", "region-de-dakar", "ancb")
    }
    title = "organisations récemment mises à jour" if lang == "fr" else "organisations updated recently"
    assert title in feed.feed.title


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feed_follows_the_criteria(client, directory, kind):
    _, feed = parse(client, f"/en/feed/{kind}/", {"q": "ouagadougou"})
    assert [e.link for e in feed.entries] == ["http://testserver/en/organisations/aimf/"]
    assert feed.entries[0].title == "International Association of Francophone Mayors (AIMF)"
    _, feed = parse(client, f"/fr/feed/{kind}/", {"country": "SN"})
    assert [e.title for e in feed.entries] == ["Région de Dakar"]
    _, feed = parse(client, f"/fr/feed/{kind}/", {"worked_in": "CI", "kind": "municipality"})
    assert feed.entries == []
    # The feed's own link is the search page with the same criteria.
    assert feed.feed.link == "http://testserver/fr/?kind=municipality&worked_in=CI"


def test_feed_lists_the_newest_first_and_at_most_fifty(client, directory):
    Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Commune {n:02}", slug=f"commune-{n:02}", country="BE") for n in range(60)]
    )
    lyon = directory["lyon"]
    lyon.city = "Lyon 2e"
    lyon.save()
    _, feed = parse(client, "/en/feed/rss/")
    assert len(feed.entries) == 50
    assert feed.entries[0].title == "City of Lyon"


@pytest.mark.parametrize("size", [5, 40])
def test_feed_query_count_does_not_grow_with_items(client, directory, django_assert_max_num_queries, size):
    """Guards against N+1: one query for the items, whatever their number, plus the text search's."""
    Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Commune {n:02}", slug=f"commune-{n:02}", country="BE") for n in range(size)]
    )
    refresh_search_documents(Organisation.objects.all())
    with django_assert_max_num_queries(1 + TEXT_QUERIES):
        _, feed = parse(client, "/fr/feed/rss/", {"q": "commune"})
    assert len(feed.entries) == size
    with django_assert_max_num_queries(1):
        client.get("/en/feed/atom/")
