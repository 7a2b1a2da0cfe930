"""RSS 2.0 and Atom feeds: valid, following the search criteria, in the request's language."""

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
from django.contrib.staticfiles import finders

from institutions.facets import rebuild_facet_values
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
    """Guards against N+1: one query for the items and one each for their competences and experiences
    (the description), whatever their number, plus the text search's."""
    Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Zébulon {n:02}", slug=f"zebulon-{n:02}", country="BE") for n in range(size)]
    )
    refresh_search_documents(Organisation.objects.all())
    rebuild_facet_values()  # bulk writes send no signals (on PostgreSQL the published ones are a facet value)
    with django_assert_max_num_queries(3 + TEXT_QUERIES):
        _, feed = parse(client, "/fr/feed/rss/", {"q": "zébulon"})
    assert len(feed.entries) == size
    with django_assert_max_num_queries(3):
        client.get("/en/feed/atom/")


# -- what an item says, escaping, identity, and the page a browser shows -------------------------------

RSS_ITEMS = "channel/item"
ATOM = "{http://www.w3.org/2005/Atom}"


def rss_items(client, url, params=None):
    response = client.get(url, params or {})
    return {item.findtext("link"): item for item in ET.fromstring(response.content).iterfind(RSS_ITEMS)}


def test_item_description_is_the_profile_in_short_escaped_once(client, directory):
    aimf = directory["aimf"]
    aimf.city = "Abidjan"
    aimf.country = "CI"
    aimf.save()
    item = rss_items(client, "/fr/feed/rss/")["http://testserver/fr/organisations/aimf/"]
    description = item.findtext("description")  # the HTML, once the XML is read
    assert "&amp;" not in description  # HTML escaped once, not twice
    assert "<p>Réseau international · Abidjan, Côte d&#x27;Ivoire</p>" in description
    text = html.unescape(re.sub(r"<[^>]+>", " ", description))
    assert "Côte d'Ivoire" in text
    assert "14030 Approvisionnement de base en eau potable" in text
    experience = aimf.experiences.order_by("-start_date").first()
    assert experience.title_fr in text


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_markup_in_a_name_or_city_is_text_in_feed_readers(client, directory, kind):
    """Issue 14 finding 9: titles are HTML in many readers, so a name must arrive escaped for HTML too."""
    aimf = directory["aimf"]
    aimf.name_fr = aimf.name_en = "<img src=x onerror=alert(1)>"
    aimf.city = "<b>Paris</b>"
    aimf.save()
    root = ET.fromstring(client.get(f"/en/feed/{kind}/").content)
    if kind == "rss":
        titles = [item.findtext("title") for item in root.iterfind(RSS_ITEMS)]
        descriptions = [item.findtext("description") for item in root.iterfind(RSS_ITEMS)]
    else:
        titles = [entry.findtext(f"{ATOM}title") for entry in root.iterfind(f"{ATOM}entry")]
        descriptions = [entry.findtext(f"{ATOM}summary") for entry in root.iterfind(f"{ATOM}entry")]
    assert "&lt;img src=x onerror=alert(1)&gt; (AIMF)" in titles
    assert not any("<img" in title for title in titles)
    assert any("&lt;b&gt;Paris&lt;/b&gt;" in d for d in descriptions)
    assert not any("<b>" in d for d in descriptions)


def test_guid_changes_when_the_profile_changes(client, directory):
    def guid():
        item = rss_items(client, "/en/feed/rss/")["http://testserver/en/organisations/aimf/"]
        element = item.find("guid")
        assert element.get("isPermaLink") == "false"
        return element.text

    before = guid()
    assert before.startswith("http://testserver/en/organisations/aimf/#updated-")
    assert guid() == before  # stable while nothing changes
    aimf = directory["aimf"]
    aimf.city = "Lyon"
    aimf.save()
    after = guid()
    assert after != before and after.startswith("http://testserver/en/organisations/aimf/#updated-")


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feed_names_a_stylesheet_for_browsers(client, directory, kind):
    response = client.get(f"/fr/feed/{kind}/")
    assert response["Content-Type"] == "application/xml; charset=utf-8"  # browsers apply XSL to XML only
    body = response.content.decode()
    head = body[: body.index("<rss" if kind == "rss" else "<feed")]
    assert '<?xml-stylesheet href="/static/feeds/feed.xsl" media="screen" type="text/xsl"?>' in head
    assert finders.find("feeds/feed.xsl")


def test_feed_stylesheet_has_no_inline_script_or_style():
    xsl = Path(finders.find("feeds/feed.xsl")).read_text(encoding="utf-8")
    ET.fromstring(xsl)  # well-formed
    assert "<script" not in xsl and "<style" not in xsl and "style=" not in xsl
