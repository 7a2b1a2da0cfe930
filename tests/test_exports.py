"""CSV and JSON exports: parse, follow the criteria, labels in the request's language, no formula
injection, streamed."""

import csv
import io
import json

import pytest

from institutions.models import Organisation


def body(response):
    assert response.status_code == 200
    assert response.streaming  # produced row by row, never the whole list in memory
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(client, url, params=None):
    return list(csv.DictReader(io.StringIO(body(client.get(url, params or {})))))


def test_csv_has_a_header_and_every_published_organisation(client, directory):
    response = client.get("/en/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = body(response)
    header = text.splitlines()[0].split(",")
    assert header[:5] == ["slug", "url", "name_fr", "name_en", "acronym"]
    assert {
        "kind_label",
        "country_name",
        "competences",
        "competence_labels",
        "experiences",
        "updated",
    } <= set(header)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["slug"] for r in rows} == {"aimf", "ville-de-lyon", "region-de-dakar", "ancb"}


@pytest.mark.parametrize(
    "lang,kind,country,sector",
    [
        ("en", "International network", "France", "Basic drinking water supply"),
        ("fr", "Réseau international", "France", "Approvisionnement de base en eau potable"),
    ],
)
def test_codes_come_with_labels_in_the_request_language(client, directory, lang, kind, country, sector):
    (aimf,) = csv_rows(client, f"/{lang}/export.csv", {"q": "AIMF"})
    assert aimf["kind"] == "international_network" and aimf["kind_label"] == kind
    assert aimf["country"] == "FR" and aimf["country_name"] == country
    assert aimf["competences"] == "14030 | 15112"
    assert aimf["competence_labels"].startswith(sector)
    assert aimf["experiences"] == "1"
    assert aimf["url"] == f"http://testserver/{lang}/organisations/aimf/"
    (benin,) = csv_rows(client, f"/{lang}/export.csv", {"country": "BJ"})
    assert benin["country_name"] == ("Bénin" if lang == "fr" else "Benin")


def test_csv_neutralises_formulas(client, directory):
    Organisation.objects.create(
        name_fr="@SUM(A1:A9)", acronym="-2+3", city="+cmd|' /C calc'!A0", country="BE"
    )
    rows = {r["country"]: r for r in csv_rows(client, "/en/export.csv")}
    assert rows["BE"]["name_fr"] == "'@SUM(A1:A9)"
    assert rows["BE"]["acronym"] == "'-2+3"
    assert rows["BE"]["city"] == "'+cmd|' /C calc'!A0"
    lyon = next(r for r in csv_rows(client, "/en/export.csv", {"q": "lyon"}) if r["slug"] == "ville-de-lyon")
    assert lyon["telephone"] == '\'=HYPERLINK("http://evil")'
    assert rows["BE"]["name_en"] == ""  # empty cells stay empty


def test_csv_follows_the_criteria(client, directory):
    assert [r["slug"] for r in csv_rows(client, "/fr/export.csv", {"worked_in": "CI"})] == ["aimf"]
    assert [r["slug"] for r in csv_rows(client, "/fr/export.csv", {"sector": "11110"})] == ["ville-de-lyon"]
    assert csv_rows(client, "/fr/export.csv", {"q": "zanzibar"}) == []


def test_json_is_a_valid_array_following_the_criteria(client, directory):
    response = client.get("/en/export.json", {"country": "FR"})
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(body(response))
    assert [d["slug"] for d in data] == ["ville-de-lyon", "aimf"]
    aimf = data[1]
    assert aimf["competences"] == ["14030", "15112"]
    assert aimf["competence_labels"][0] == "Basic drinking water supply"
    assert aimf["experiences"] == 1
    # JSON is data, not a spreadsheet: values are kept as typed.
    assert data[0]["telephone"] == '=HYPERLINK("http://evil")'
    assert json.loads(body(client.get("/en/export.json", {"q": "zanzibar"}))) == []


def test_json_in_french(client, directory):
    data = json.loads(body(client.get("/fr/export.json", {"q": "ancb"})))
    assert data[0]["kind_label"] == "Association nationale de collectivités"
    assert data[0]["country_name"] == "Bénin"


@pytest.mark.parametrize("size", [5, 40])
def test_export_query_count_does_not_grow_with_rows(client, directory, django_assert_max_num_queries, size):
    """Guards against N+1: rows come in chunks, each with one prefetch query for competences."""
    Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Commune {n:02}", slug=f"commune-{n:02}", country="BE") for n in range(size)]
    )
    with django_assert_max_num_queries(2):
        body(client.get("/en/export.csv", {"country": "BE"}))
    with django_assert_max_num_queries(2):
        body(client.get("/en/export.json", {"country": "BE"}))
