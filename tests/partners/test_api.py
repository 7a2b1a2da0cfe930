"""The read-only JSON API (/api/v1/): content in both languages, criteria, pagination, bad input, HTTP
caching, CORS, throttle, query counts, schema and docs."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from factories import add_experience, refreshed_once

from experiences.models import Experience, Participant
from institutions.models import Competence, Organisation, Sector

# What a transaction of its own costs (institutions/search.py: _indexes_only), in a test's transaction too.
TRANSACTION = re.compile(r"(BEGIN|COMMIT|(RELEASE )?SAVEPOINT|SET LOCAL enable_seqscan)\b")


def get(client, name, *args, **params):
    headers = params.pop("headers", {})
    return client.get(reverse(f"api:{name}", args=args), params, headers=headers)


def test_organisations_in_the_requested_language_with_both_values(client, api_data):
    body = get(client, "organisations", lang="en").json()
    assert body["count"] == 2
    aimf = next(row for row in body["results"] if row["slug"] == "aimf")
    assert aimf["name"] == "International Association of Francophone Mayors"
    assert aimf["name_fr"] == "Association internationale des maires francophones"
    assert aimf["kind_label"] == "International network"
    assert aimf["competences"] == ["15112", "14030"]  # by rank, not by code
    assert aimf["experience_count"] == 2
    assert aimf["profile_url"] == "http://testserver/en/organisations/aimf/"
    assert aimf["iati_url"] == "http://testserver/en/organisations/aimf/iati.xml"
    french = get(client, "organisations", headers={"accept-language": "fr"})
    assert french["Content-Language"] == "fr"
    assert next(r for r in french.json()["results"] if r["slug"] == "aimf")["kind_label"] == "Réseau international"
    # Ouagadougou has no English name: the French one stands in, and name_en says it is missing.
    ouaga = next(row for row in body["results"] if row["slug"] == "ouaga")
    assert (ouaga["name"], ouaga["name_en"]) == ("Commune de Ouagadougou", None)
    assert ouaga["competences"] == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_list_links_to_its_search_as_iati_activities(client, api_data, lang):
    """The organisations AIMF (2 experiences, one in Mali) and Ouagadougou (none): the search's organisations'
    experiences, all of them, as IATI activities."""
    body = get(client, "organisations", lang=lang, worked_in="ML").json()
    assert body["iati"] == f"http://testserver/{lang}/export.iati.xml?worked_in=ML"
    xml = iati(client, body["iati"])
    assert xml.count("<iati-activity ") == 2 and "Bamako" in xml
    assert get(client, "organisations", lang=lang, worked_in="BF").json()["iati"].endswith("?worked_in=BF")
    assert (
        iati(client, get(client, "organisations", lang=lang, worked_in="BF").json()["iati"]).count("<iati-activity ")
        == 0
    )
    everything = get(client, "organisations", lang=lang).json()["iati"]
    assert everything == f"http://testserver/{lang}/export.iati.xml"


def iati(client, url):
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_organisations_follow_the_search_criteria_both_ways(client, api_data):
    assert [r["slug"] for r in get(client, "organisations", country="FR").json()["results"]] == ["aimf"]
    assert [r["slug"] for r in get(client, "organisations", country="BF").json()["results"]] == ["ouaga"]
    assert [r["slug"] for r in get(client, "organisations", worked_in="ML").json()["results"]] == ["aimf"]
    assert get(client, "organisations", worked_in="BF").json()["count"] == 0


def test_organisations_come_with_the_search_pages_facet_counts(client, api_data, settings):
    settings.PUBLIC_PAGE_CACHE = False
    params = {"country": "FR", "lang": "en"}
    body = get(client, "organisations", **params).json()
    countries = {item["value"]: (item["count"], item["selected"]) for item in body["facets"]["country"]}
    assert countries == {"BF": (1, False), "FR": (1, True)}  # a facet ignores its own criterion
    assert {item["value"]: item["count"] for item in body["facets"]["worked_in"]} == {"ML": 1, "SN": 1}
    page = client.get("/en/", params, follow=True).context["facets"]
    assert body["facets"]["kind"] == [dict(item) for item in page["kind"]]


def test_a_long_facet_lists_its_most_frequent_values_unless_more_names_it(client, api_data, sector_rows):
    for n, code in enumerate(["AR", "BE", "BJ", "BR", "CA", "CH", "CI", "CM", "DE", "DZ", "ES", "GA", "GN"]):
        Organisation.objects.create(name_fr=f"Commune {n}", country=code)
    trimmed = get(client, "organisations").json()["facets"]["country"]
    full = get(client, "organisations", more="country").json()["facets"]["country"]
    assert len(full) == 15 and len(trimmed) == 10
    assert {item["value"] for item in trimmed} < {item["value"] for item in full}


def test_unpublished_organisations_are_not_in_the_api(client, api_data):
    Organisation.objects.filter(slug="ouaga").update(published=False)
    assert [r["slug"] for r in get(client, "organisations").json()["results"]] == ["aimf"]
    assert get(client, "organisation", "ouaga").status_code == 404
    assert get(client, "organisation_experiences", "ouaga").status_code == 404


def test_pagination_has_stable_order_and_next_links(client, api_data):
    first = get(client, "organisations", page_size=1).json()
    assert first["count"] == 2 and len(first["results"]) == 1
    assert first["next"].endswith("/api/v1/organisations/?page=2&page_size=1") and first["previous"] is None
    second = client.get(first["next"]).json()
    assert second["next"] is None
    assert [first["results"][0]["slug"], second["results"][0]["slug"]] == [
        r["slug"] for r in get(client, "organisations").json()["results"]
    ]
    assert get(client, "organisations", page=3, page_size=1).status_code == 404  # after the last page


@pytest.mark.parametrize(
    "params, status",
    [
        ({"page_size": "100"}, 200),
        ({"page_size": "101"}, 400),
        ({"page_size": "0"}, 400),
        ({"page": "1000000"}, 404),  # in range, after the last page
        ({"page": "1000001"}, 400),
        ({"page": "99999999999999999999999999"}, 400),
        ({"page": "-1"}, 400),
        ({"page": "abc"}, 400),
        ({"page": "１"}, 400),  # a full-width digit
        ({"q": "eau\x00"}, 400),
        ({"country\x00": "FR"}, 400),
        ({"lang": "de"}, 400),
        ({"lang": ""}, 400),
        ({"more": "country"}, 200),
        ({"more": "nothing"}, 400),
        ({"sort": "nonsense"}, 400),
        ({"active_from": "2101"}, 400),
        ({"active_from": "2100"}, 200),
        ({"lang": "en"}, 200),
        ({"active_from": "99999999999999999999"}, 400),
        ({"active_from": "2019"}, 200),
    ],
)
def test_bad_parameters_answer_400(client, api_data, params, status):
    response = get(client, "organisations", **params)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"


def test_nul_bytes_answer_400_on_every_endpoint(client, api_data):
    for name, args in [("organisation", ["aimf"]), ("sectors", []), ("donors", []), ("countries", [])]:
        assert get(client, name, *args, q="\x00").status_code == 400


def test_unknown_addresses_under_the_api_answer_json_404(client, db):
    for path in ["/api/v1/nothing/", "/api/v1/organisations/a%2Fb/", "/api/v1/organisations/no such/"]:
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"


def test_organisation_detail_has_competences_and_experiences(client, api_data):
    body = get(client, "organisation", "aimf", lang="fr").json()
    assert [(c["rank"], c["code"], c["name"]) for c in body["competences"]] == [
        (1, "15112", "Décentralisation"),
        (2, "14030", "Eau potable de base"),
    ]
    assert [e["title"] for e in body["experiences"]] == ["Décentralisation", "Eau à Bamako"]  # newest first
    water = body["experiences"][1]
    assert water["title_en"] == "Water in Bamako"
    assert water["sectors"] == ["14010", "14030"] and water["countries"] == ["ML"]
    assert water["cost"] == "1000.50"
    assert water["fundings"][0]["donor_name"] == "CE" and water["fundings"][0]["amount"] == "500.00"
    assert body["iati_identifier"] == ""


def test_experiences_of_an_organisation(client, api_data):
    body = get(client, "organisation_experiences", "aimf", lang="en", page_size=1).json()
    assert body["count"] == 2 and body["results"][0]["title"] == "Décentralisation"  # no English title
    assert body["next"]


def test_reference_lists(client, api_data):
    sectors = get(client, "sectors", lang="en", page_size=100).json()
    assert {"code": "14030", "name": "Basic drinking water supply", "name_fr": "Eau potable de base"}.items() <= (
        next(s for s in sectors["results"] if s["code"] == "14030").items()
    )
    assert [c["code"] for c in get(client, "sector_categories").json()["results"]] == ["140", "151"]
    assert [d["acronym"] for d in get(client, "donors").json()["results"]] == ["AFD", "CE"]
    countries = get(client, "countries", lang="en").json()["results"]
    assert [c["code"] for c in countries] == ["BF", "FR", "ML", "SN"]
    senegal = countries[3]
    assert (senegal["name"], senegal["name_fr"], senegal["name_en"]) == ("Senegal", "Sénégal", "Senegal")


def test_etag_and_last_modified_follow_the_directory_generation(client, api_data, django_capture_on_commit_callbacks):
    first = get(client, "organisation", "aimf")
    assert first["ETag"] and first["Last-Modified"]
    again = get(client, "organisation", "aimf", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    other_language = get(client, "organisation", "aimf", lang="en", headers={"if-none-match": first["ETag"]})
    assert other_language.status_code == 200
    api_data["aimf"].city = "Lyon"
    with django_capture_on_commit_callbacks(execute=True):  # a new directory generation when it commits
        api_data["aimf"].save()
    changed = get(client, "organisation", "aimf", headers={"if-none-match": first["ETag"]})
    assert changed.status_code == 200 and changed.json()["city"] == "Lyon"
    assert changed["ETag"] != first["ETag"]


def test_cors_open_for_get_on_the_api_only(client, api_data):
    response = get(client, "organisations", headers={"origin": "https://example.org"})
    assert response["Access-Control-Allow-Origin"] == "*"
    page = client.get(reverse("directory:search"), headers={"origin": "https://example.org"})
    assert "Access-Control-Allow-Origin" not in page


def test_throttle_per_client_address(client, api_data, settings):
    settings.API_THROTTLE_RATE = "2/minute"
    assert get(client, "donors").status_code == 200
    assert get(client, "donors", page=1).status_code == 200
    refused = get(client, "donors", page_size=3)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    other = client.get(reverse("api:donors"), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_json_only_even_for_a_browser(client, api_data):
    response = get(client, "organisations", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "name, args",
    [("organisations", []), ("organisation_experiences", ["aimf"]), ("sectors", []), ("donors", [])],
)
def test_lists_read_a_fixed_number_of_queries_whatever_the_page_size(
    client, api_data, donors, django_assert_max_num_queries, name, args
):
    """Guards against N+1: related rows come in one query per relation, whatever the page size."""
    with refreshed_once():
        for n in range(30):
            add_experience(api_data["aimf"], title_fr=f"Action {n}", sectors=["14030"], countries=["SN"],
                           fundings=[(donors["afd"], Decimal(1))])  # fmt: skip
            Organisation.objects.create(name_fr=f"Commune {n}", country="SN")
    get(client, name, *args)  # the search's facet index is built (or caught up) once per change, not here
    for page_size in (1, 100):
        with django_assert_max_num_queries(6):
            assert get(client, name, *args, page_size=page_size).status_code == 200


@pytest.mark.parametrize("text", [{}, {"q": "commune"}])
def test_a_list_with_criteria_and_worked_with_counted_reads_a_fixed_number_of_queries(client, api_data, text):
    """Three criteria, "Worked with" counted and named: the criteria's matches, the page's rows with their
    competences, the facet counts, "Worked with" and its names; a text adds its search, which PostgreSQL runs
    in a transaction of its own (BEGIN, SET LOCAL, COMMIT: not reads), left out of the count, and SQLite then
    keeps the published ones in one more query (PostgreSQL knows them from a bitmap)."""
    bound = 7 if text and connection.vendor == "sqlite" else 6
    with refreshed_once():
        for n in range(30):
            town = Organisation.objects.create(name_fr=f"Commune {n}", country="SN")
            Competence.objects.create(organisation=town, sector=Sector.objects.get(code="14030"), rank=1)
            action = add_experience(town, title_fr=f"Action {n}", start_date=datetime.date(2020, 1, 1))
            Participant.objects.create(experience=action, organisation=api_data["aimf"], role=Experience.Role.PARTNER)
    params = {"country": "SN", "kind": "municipality", "sector": "14030", **text}
    body = get(client, "organisations", **params).json()
    assert body["count"] == 30 and body["facets"]["partner_of"][0]["value"] == "aimf"
    assert body["facet_notes"]["partner_of"] == {"not_listed": 0, "counted": True}
    for page_size in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            assert get(client, "organisations", page_size=page_size, **params).status_code == 200
        reads = [q["sql"] for q in queries.captured_queries if not TRANSACTION.match(q["sql"])]
        assert len(reads) <= bound, "\n".join(reads)


def test_organisation_detail_reads_at_most_six_queries(client, api_data, donors, django_assert_num_queries):
    """Guards against N+1: organisation, competences, experiences and their sectors, countries, fundings."""
    with refreshed_once():
        for n in range(30):
            add_experience(api_data["aimf"], title_fr=f"Action {n}", sectors=["14030"], countries=["SN"],
                           fundings=[(donors["afd"], Decimal(1))])  # fmt: skip
    with django_assert_num_queries(6):
        assert len(get(client, "organisation", "aimf").json()["experiences"]) == 32


def test_schema_and_docs(client, db):
    schema = client.get(reverse("api:schema"), headers={"accept": "application/json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/organisations/{slug}/experiences/" in paths
    assert "429" in paths["/api/v1/donors/"]["get"]["responses"]
    docs = client.get(reverse("api:docs"))
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "<script>" not in page and "<style" not in page  # the site's CSP holds: no inline code
    assert "swagger-ui-dist" in page


@pytest.mark.parametrize("lang, message", [("fr", "Un nombre entier de 1 à 100."), ("en", "An integer from 1 to 100.")])
def test_errors_say_what_to_fix_in_the_requested_language(client, api_data, lang, message):
    response = get(client, "donors", lang=lang, page_size="lots")
    assert response.status_code == 400
    assert response.json() == {"page_size": message}
