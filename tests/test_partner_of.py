"""Search by partnership (issue 20, part 3): partner_of=<slug> and the "Worked with" facet, in the organisation
search and the experiences list, and everything that reads their criteria (API, exports, feeds, print views,
alerts). Who worked with whom is experiences/partnerships.py's: the expected results are read from it."""

import datetime
import html
import json
from types import SimpleNamespace

import pytest
from django.http import QueryDict

from alerts.searches import canonical, matches
from directory.criteria import MAX_VALUES, PARTNER_OF, OrganisationFilter
from directory.experience_criteria import ExperienceFilter
from experiences.models import Experience, Participant
from experiences.partnerships import actions_with_partners, partners_of
from institutions import bitmaps
from institutions.models import FacetValue, Organisation
from tests.factories import add_experience
from tests.test_search import PAGE_QUERIES

pytestmark = pytest.mark.django_db


def organisation(slug, **fields):
    fields.setdefault("name_fr", f"Commune de {slug.title()}")
    fields.setdefault("name_en", f"Municipality of {slug.title()}")
    return Organisation.objects.create(slug=slug, country=fields.pop("country", "FR"), **fields)


@pytest.fixture
def network(no_sectors):
    """Kossa's action with Bana and Fere (listed), Hidden (unpublished) and an unlisted town; Fere's own
    action with nobody else; Lone's action with an unlisted town only; Solo, no action at all."""
    orgs = {slug: organisation(slug) for slug in ("kossa", "bana", "fere", "lone", "solo")}
    orgs["bana"].country = "BF"
    orgs["bana"].save()
    orgs["hidden"] = organisation("hidden", published=False)
    shared = add_experience(orgs["kossa"], title="Eau", start_date=datetime.date(2012, 1, 1))
    for slug in ("bana", "fere", "hidden"):
        Participant.objects.create(experience=shared, organisation=orgs[slug], role=Experience.Role.PARTNER)
    Participant.objects.create(experience=shared, name="Ville non listée", role=Experience.Role.PARTNER)
    alone = add_experience(orgs["fere"], title="Seule")
    unlisted = add_experience(orgs["lone"], title="Avec une ville non listée")
    Participant.objects.create(experience=unlisted, name="Autre ville", role=Experience.Role.PARTNER)
    return SimpleNamespace(orgs=orgs, shared=shared, alone=alone, unlisted=unlisted)


def found(params, filterset=OrganisationFilter):
    """The results' slugs (organisations) or ids (experiences) of a search."""
    search = filterset(QueryDict(params))
    ids = list(search.result_ids())
    if filterset is ExperienceFilter:
        return set(ids)
    return set(Organisation.objects.filter(pk__in=ids).values_list("slug", flat=True))


def expected_partners(slug):
    """The slugs of the organisations partnerships.py says `slug` worked with."""
    pk = Organisation.objects.get(slug=slug).pk
    return set(Organisation.objects.filter(pk__in=partners_of([pk]).get(pk, set())).values_list("slug", flat=True))


def expected_actions(*slugs):
    ids = Organisation.objects.filter(slug__in=slugs).values_list("pk", flat=True)
    return set(actions_with_partners(list(ids)).values_list("pk", flat=True))


def test_an_organisation_matches_the_organisations_it_worked_with(network):
    assert found("partner_of=kossa") == expected_partners("kossa") == {"bana", "fere"}
    assert found("partner_of=bana") == expected_partners("bana") == {"kossa", "fere"}
    # Not itself, not an unpublished participant, not those with an unlisted participant or alone.
    assert found("partner_of=lone") == set() == found("partner_of=solo")
    assert "hidden" not in found("partner_of=kossa")


def test_values_widen_and_criteria_narrow(network):
    other = add_experience(network.orgs["lone"], title="Avec Solo")
    Participant.objects.create(experience=other, organisation=network.orgs["solo"], role=Experience.Role.PARTNER)
    assert found("partner_of=kossa&partner_of=lone") == {"bana", "fere", "solo"}
    assert found("partner_of=kossa&country=BF") == {"bana"}
    assert found("partner_of=kossa&country=IS") == set()
    assert found("partner_of=kossa&partner_of=lone&country=FR") == {"fere", "solo"}


def test_an_experience_matches_the_actions_shared_with_another(network):
    assert found("partner_of=kossa", ExperienceFilter) == {network.shared.pk} == expected_actions("kossa")
    assert found("partner_of=fere", ExperienceFilter) == {network.shared.pk}  # not its action alone
    assert found("partner_of=lone", ExperienceFilter) == set()  # an unlisted participant makes no partnership
    assert found("partner_of=fere&country=BF", ExperienceFilter) == set()  # the owner's country
    assert found("partner_of=fere&country=FR", ExperienceFilter) == {network.shared.pk}
    other = add_experience(network.orgs["lone"], title="Avec Solo")
    Participant.objects.create(experience=other, organisation=network.orgs["solo"], role=Experience.Role.PARTNER)
    assert found("partner_of=solo&partner_of=fere", ExperienceFilter) == {network.shared.pk, other.pk}


def test_an_unpublished_owner_shares_no_action(network):
    network.orgs["kossa"].published = False
    network.orgs["kossa"].save()
    assert found("partner_of=bana") == set()
    assert found("partner_of=bana", ExperienceFilter) == set()


@pytest.mark.parametrize(
    "value",
    ["hidden", "nobody", "<script>", "kossa'--", "é", "", "a" * 121, "kossa\x00", "9" * 5000],
)
def test_unknown_unpublished_or_malformed_slugs_are_dropped_one_by_one(client, network, value):
    search = OrganisationFilter(QueryDict(f"partner_of=bana&partner_of={value}"))
    assert search.criteria[PARTNER_OF] == ["bana"]
    assert search.querystring() == "partner_of=bana"
    for url in ("/en/", "/en/experiences/", "/export.csv", "/feed/rss/", "/print/"):
        assert client.get(url, {"partner_of": value}, follow=True).status_code == 200, url
    api = client.get("/api/v1/organisations/", {"partner_of": value})
    assert api.status_code == (400 if "\x00" in value else 200)  # the API refuses a NUL in any parameter


@pytest.mark.parametrize(("lang", "name"), [("fr", "Commune de Solo"), ("en", "Municipality of Solo")])
def test_a_chosen_organisation_without_partnerships_is_named_not_shown_as_its_slug(client, network, lang, name):
    """"Worked with" names the organisations having a partnership; one chosen without any is read apart."""
    for path in (f"/{lang}/", f"/{lang}/experiences/"):
        response = client.get(path, {"partner_of": "solo"})
        item = next(item for item in response.context["facets"][PARTNER_OF] if item["value"] == "solo")
        assert (item["label"], item["count"], item["selected"]) == (name, 0, True), path
    chips = client.get(f"/{lang}/", {"partner_of": "solo"}).context["chips"]
    assert [chip["value"] for chip in chips] == [name]
    statistics = html.unescape(client.get(f"/{lang}/statistics/", {"partner_of": "solo"}).content.decode())
    assert name in statistics


def test_the_slug_length_bound(network):
    at_bound = organisation("k" * 120)
    Participant.objects.create(experience=network.alone, organisation=at_bound, role=Experience.Role.PARTNER)
    assert found("partner_of=" + "k" * 120) == {"fere"}
    assert OrganisationFilter(QueryDict("partner_of=" + "k" * 121)).criteria[PARTNER_OF] == []


def test_at_most_max_values_slugs_are_kept(network):
    slugs = [f"org-{n:03}" for n in range(MAX_VALUES + 1)]
    Organisation.objects.bulk_create([Organisation(slug=slug, name_fr=slug) for slug in slugs])
    below = OrganisationFilter(QueryDict("&".join(f"partner_of={s}" for s in slugs[:MAX_VALUES])))
    above = OrganisationFilter(QueryDict("&".join(f"partner_of={s}" for s in slugs)))
    assert len(below.criteria[PARTNER_OF]) == MAX_VALUES == len(above.criteria[PARTNER_OF])


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Search the organisations that worked with this one"),
        ("fr", "Chercher les organisations qui ont travaillé avec celle-ci"),
    ],
)
def test_a_profile_links_to_the_search_of_its_partners(client, network, lang, text):
    """The facet lists the most frequent partners only: every other is one link away, from its profile."""
    link = f'<a href="/{lang}/?partner_of=bana">{text}</a>'
    assert link in html.unescape(client.get(f"/{lang}/organisations/bana/").content.decode())
    assert found("partner_of=bana") == expected_partners("bana") == {"kossa", "fere"}
    assert text not in html.unescape(client.get(f"/{lang}/organisations/solo/").content.decode())  # no partner


@pytest.mark.parametrize(("lang", "legend"), [("en", "Worked with"), ("fr", "A travaillé avec")])
def test_the_worked_with_facet_counts_and_names_in_the_page_language(client, network, lang, legend):
    network.orgs["fere"].name_en = ""  # no English name: the French one
    network.orgs["fere"].save()
    response = client.get(f"/{lang}/")
    assert legend in response.content.decode()
    values = {item["value"]: item for item in response.context["facets"][PARTNER_OF]}
    assert set(values) == {"kossa", "bana", "fere"}
    assert values["kossa"]["label"] == ("Commune de Kossa" if lang == "fr" else "Municipality of Kossa")
    assert values["fere"]["label"] == "Commune de Fere"
    for slug, item in values.items():
        assert item["count"] == len(found(f"partner_of={slug}")) == len(expected_partners(slug))
    narrowed = client.get(f"/{lang}/", {"partner_of": "bana", "country": "FR"}, follow=True)
    chips = [chip["value"] for chip in narrowed.context["chips"]]
    assert ("Commune de Bana" if lang == "fr" else "Municipality of Bana") in chips
    item = next(i for i in narrowed.context["facets"][PARTNER_OF] if i["value"] == "bana")
    assert item["selected"] and item["count"] == len(found("partner_of=bana&country=FR"))
    experiences = client.get(f"/{lang}/experiences/", {"partner_of": "bana"})
    assert legend in experiences.content.decode()
    shown = {item["value"]: item["count"] for item in experiences.context["facets"][PARTNER_OF]}
    assert shown == {slug: len(found(f"partner_of={slug}", ExperienceFilter)) for slug in ("kossa", "bana", "fere")}


@pytest.mark.parametrize(
    ("lang", "note"),
    [
        ("en", "and 13 other organisations: each profile links to the organisations that worked with it."),
        ("fr", "et 13 autres organisations : chaque profil mène aux organisations qui ont travaillé avec elle."),
    ],
)
def test_a_long_worked_with_facet_lists_its_most_frequent_values_and_says_how_many_more(client, network, lang, note):
    """Thousands of organisations may have a partner among the results: the facet lists the 10 most frequent
    (and the chosen ones), says how many others it counted, and has no list to expand."""
    many = [organisation(f"town-{n:02}") for n in range(20)]
    for town in many:
        Participant.objects.create(experience=network.shared, organisation=town, role=Experience.Role.PARTNER)
    response = client.get(f"/{lang}/", {"country": "FR"})
    facet = response.context["facets"][PARTNER_OF]
    counts = {item["value"]: item["count"] for item in facet}
    assert len(facet) == 10 and facet.omitted == 13 and not facet.uncounted
    assert counts["bana"] == 22 and min(counts.values()) == 21  # Bana (in BF) shares the action with all 22
    towns = [value for value in counts if value.startswith("town-")]  # ties are listed by id: the first towns
    assert towns == [town.slug for town in many[: len(towns)]]
    assert response.context["facet_toggles"][PARTNER_OF] is None
    assert note in html.unescape(response.content.decode())
    expanded = client.get(f"/{lang}/", {"country": "FR", "more": PARTNER_OF})  # nothing to expand: not canonical
    assert expanded.status_code == 301 and expanded["Location"] == f"/{lang}/?country=FR"
    notes = client.get("/api/v1/organisations/", {"country": "FR"}).json()["facet_notes"]
    assert notes == {PARTNER_OF: {"not_listed": 13, "counted": True}}
    chosen = client.get(f"/{lang}/", {"country": "FR", "partner_of": "town-19"}).context["facets"][PARTNER_OF]
    town = next(item for item in chosen if item["value"] == "town-19")  # the last of the ties: listed as chosen
    assert town["selected"] and town["count"] == len(found("country=FR&partner_of=town-19")) == 21
    assert len(chosen) == 11 and chosen.omitted == 12  # the same 23 values counted, one more listed


@pytest.mark.parametrize(
    ("lang", "note", "chosen_note"),
    [
        (
            "en",
            "Narrow the search to 3 organisations or fewer to see whom they worked with.",
            "To see whom else these organisations worked with, narrow the search with other criteria to 3 "
            "organisations or fewer.",
        ),
        (
            "fr",
            "Affinez la recherche à 3 organisations ou moins pour voir avec qui elles ont travaillé.",
            "Pour voir avec qui d'autre ces organisations ont travaillé, affinez la recherche par d'autres critères "
            "jusqu'à 3 organisations ou moins.",
        ),
    ],
)
def test_the_worked_with_facet_is_counted_up_to_its_limit(client, network, monkeypatch, lang, note, chosen_note):
    """Counting it reads every partnership of the organisations counted: beyond PARTNER_FACET_LIMIT of them
    only the chosen values are counted, and the page says how to see the others."""
    params = {"country": "FR"}  # Kossa, Fere, Lone, Solo: Kossa and Fere worked with Bana and each other
    assert len(found("country=FR")) == 4
    monkeypatch.setattr("directory.criteria.PARTNER_FACET_LIMIT", 4)
    counted = client.get(f"/{lang}/", params).context["facets"][PARTNER_OF]
    assert {item["value"]: item["count"] for item in counted} == {"bana": 2, "fere": 1, "kossa": 1}
    monkeypatch.setattr("directory.criteria.PARTNER_FACET_LIMIT", 3)
    response = client.get(f"/{lang}/", params)
    assert len(response.context["facets"][PARTNER_OF]) == 0 and response.context["facets"][PARTNER_OF].uncounted
    assert note in html.unescape(response.content.decode())
    assert client.get("/api/v1/organisations/", params).json()["facet_notes"] == {
        PARTNER_OF: {"not_listed": 0, "counted": False}
    }
    response = client.get(f"/{lang}/", {**params, "partner_of": "bana"})
    chosen = response.context["facets"][PARTNER_OF]
    assert [(item["value"], item["count"]) for item in chosen] == [("bana", len(found("country=FR&partner_of=bana")))]
    assert chosen[0]["count"] == 2
    assert note not in html.unescape(response.content.decode())  # the chosen ones' note instead:
    assert chosen_note in html.unescape(response.content.decode())


def facet_values(slug):
    pk = Organisation.objects.get(slug=slug).pk
    values = FacetValue.objects.filter(organisation_id=pk, facet=PARTNER_OF).values_list("value", flat=True)
    return set(Organisation.objects.filter(pk__in=[int(v) for v in values]).values_list("slug", flat=True))


def assert_in_step():
    for slug in Organisation.objects.published().values_list("slug", flat=True):
        assert facet_values(slug) == expected_partners(slug), slug
    if bitmaps.enabled("default"):
        assert bitmaps.mismatches() == []


@pytest.mark.parametrize("change", ["deleted", "unlinked", "unpublished partner"])
def test_the_owner_loses_a_partner_when_its_only_participant_goes(network, change):
    """Fere's action alone gains Solo, then loses it: Fere's "Worked with" follows, although no listed
    participant is left to name the action's members."""
    orgs = network.orgs
    added = Participant.objects.create(experience=network.alone, organisation=orgs["solo"], role="partner")
    assert "solo" in facet_values("fere")
    if change == "deleted":
        added.delete()
    elif change == "unlinked":
        added.organisation, added.name = None, "Ville non listée"
        added.save()
    else:
        orgs["solo"].published = False
        orgs["solo"].save()
    assert "solo" not in facet_values("fere")
    assert found("partner_of=fere") == expected_partners("fere") == {"kossa", "bana"}
    assert_in_step()


def test_the_facet_values_follow_every_edit_on_both_sides(network):
    orgs = network.orgs
    assert_in_step()
    added = Participant.objects.create(experience=network.alone, organisation=orgs["solo"], role="partner")
    assert facet_values("solo") == {"fere"} and "solo" in facet_values("fere")
    assert_in_step()
    added.organisation = orgs["lone"]  # the participant changed
    added.save()
    assert facet_values("solo") == set() and facet_values("lone") == {"fere"}
    assert_in_step()
    added.experience = network.unlisted  # moved to another action: Lone's own
    added.save()
    assert_in_step()
    added.delete()
    assert facet_values("fere") == {"kossa", "bana"}
    assert_in_step()
    orgs["hidden"].published = True  # published: its partners gain it
    orgs["hidden"].save()
    assert "hidden" in facet_values("bana")
    assert_in_step()
    orgs["bana"].published = False  # withdrawn: its partners lose it
    orgs["bana"].save()
    assert "bana" not in facet_values("fere")
    assert_in_step()
    network.shared.organisation = orgs["solo"]  # the action moved to another owner
    network.shared.save()
    assert "solo" in facet_values("fere") and "kossa" not in facet_values("fere")
    assert_in_step()
    orgs["solo"].delete()  # its action, with its participants, deleted with it
    assert facet_values("fere") == set()
    assert_in_step()


def test_deleting_a_shared_action_ends_its_partnerships(network):
    network.shared.delete()
    assert facet_values("bana") == set() == facet_values("kossa")
    assert_in_step()


def test_the_api_and_the_exports_accept_it(client, network):
    api = client.get("/api/v1/organisations/", {"partner_of": "kossa"}).json()
    assert {row["slug"] for row in api["results"]} == found("partner_of=kossa")
    assert api["facets"][PARTNER_OF] and {item["value"] for item in api["facets"][PARTNER_OF]} >= {"bana", "fere"}
    csv = client.get("/export.csv", {"partner_of": "kossa"}, follow=True)
    body = b"".join(csv.streaming_content) if csv.streaming else csv.content
    assert b"Bana" in body and b"Fere" in body and b"Kossa" not in body and b"Lone" not in body
    listed = client.get("/experiences/export.json", {"partner_of": "bana"}, follow=True)
    data = json.loads(b"".join(listed.streaming_content) if listed.streaming else listed.content)
    assert data and all("Eau" in json.dumps(row, ensure_ascii=False) for row in data)
    feed = client.get("/feed/rss/", {"partner_of": "kossa"}, follow=True).content.decode()
    assert "Bana" in feed and "Lone" not in feed
    printed = client.get("/en/print/", {"partner_of": "kossa"}, follow=True)
    assert {row.slug for row in printed.context["rows"]} == found("partner_of=kossa")


def test_alerts_read_it(network):
    assert canonical("organisations", "partner_of=nobody&partner_of=kossa&sort=name") == "partner_of=kossa"
    subscription = SimpleNamespace(search="organisations", criteria="partner_of=kossa", language="en")
    start = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    rows, total = matches(subscription, start, datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC))
    assert {match.row.slug for match in rows} == found("partner_of=kossa") and total == 2


def test_the_search_page_adds_four_queries_for_partner_of(client, network, django_assert_num_queries):
    """The chosen organisations read (slugs into ids, and their names) by the check that the URL is canonical
    and by the search (the filter chips and the links to the experiences list reuse them), the number of
    organisations "Worked with" counts over (the other criteria's results) and the names of the
    organisations it lists; on PostgreSQL one more: the organisations having the chosen partners, from their
    facet values (a sparse facet has no bitmap, institutions/bitmaps.py), which also give that number."""
    client.get("/en/?country=FR")  # the names, cached for the generation
    with django_assert_num_queries(PAGE_QUERIES + 4):
        response = client.get("/en/?country=FR&partner_of=kossa")
    assert {row.slug for row in response.context["page"].object_list} == {"fere"}


def test_the_pages_with_the_worked_with_facet_are_valid_html(client, network, tmp_path):
    from tests.test_html_valid import save_pages, vnu

    urls = ["/{}/?partner_of=kossa", "/{}/experiences/?partner_of=bana", "/{}/?country=FR"]
    paths = []
    for lang in ("fr", "en"):
        paths += save_pages(client, [url.format(lang) for url in urls], tmp_path / lang)
    assert all(b'name="partner_of"' in path.read_bytes() for path in paths)
    status, messages = vnu(paths)
    assert status == 0, messages
