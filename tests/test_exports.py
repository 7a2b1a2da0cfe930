"""Exports of organisations and their experiences (CSV, XLSX, JSON): parse, follow the criteria, labels in
the request's language, no formula injection, streamed up to the limit, the whole directory from files
(issue 14, findings 1 and 10)."""

import csv
import gzip
import io
import json
from decimal import Decimal
from unittest import mock

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection

from directory import export_files
from experiences.models import Experience
from institutions.models import Organisation

ALL = {"aimf", "ville-de-lyon", "region-de-dakar", "ancb"}  # the published organisations of `directory`


def body(response):
    assert response.status_code == 200, response.status_code
    if response.streaming:
        return b"".join(response.streaming_content)  # read to its end, the test client closes it
    return response.content


def text(response):
    data = body(response)
    assert data.startswith("\ufeff".encode())  # a byte order mark: spreadsheets read it as UTF-8
    return data.decode("utf-8-sig")


def csv_rows(client, url, params=None):
    response = client.get(url, params or {})
    rows = list(csv.DictReader(io.StringIO(text(response))))
    assert response["X-Row-Count"] == str(len(rows))
    return rows


def xlsx_sheet(response):
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    return workbook.active


def xlsx_rows(response):
    header, *rows = xlsx_sheet(response).iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def build():
    call_command("build_exports", verbosity=0)
    return export_files.current()


# --- content ---------------------------------------------------------------------------------------


def test_csv_has_a_header_and_every_published_organisation(client, directory):
    response = client.get("/en/export.csv")
    assert response.streaming  # made row by row, never the whole list in memory
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    data = text(response)
    header = next(csv.reader(io.StringIO(data)))
    assert header[:5] == ["slug", "url", "name_fr", "name_en", "acronym"]
    assert {"kind_label", "country_name", "competences", "competence_labels", "experiences", "updated"} <= set(header)
    rows = list(csv.DictReader(io.StringIO(data)))
    assert {r["slug"] for r in rows} == ALL
    assert response["X-Row-Count"] == "4"


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
    Organisation.objects.create(name_fr="@SUM(A1:A9)", acronym="-2+3", city="+cmd|' /C calc'!A0", country="BE")
    rows = {r["country"]: r for r in csv_rows(client, "/en/export.csv")}
    assert rows["BE"]["name_fr"] == "'@SUM(A1:A9)"
    assert rows["BE"]["acronym"] == "'-2+3"
    assert rows["BE"]["city"] == "'+cmd|' /C calc'!A0"
    lyon = next(r for r in csv_rows(client, "/en/export.csv", {"q": "lyon"}) if r["slug"] == "ville-de-lyon")
    assert lyon["telephone"] == '\'=HYPERLINK("http://evil")'
    assert rows["BE"]["name_en"] == ""  # empty cells stay empty


PAYLOAD = "Paris;=cmd|' /C calc'!A0;"


def spreadsheet_cells(line, separator):
    """The cells a spreadsheet makes of a CSV line with this separator: a quote opens or closes a quoted
    stretch wherever it is, and only a separator outside quotes ends a cell (Excel's reading)."""
    cells, cell, quoted = [], "", False
    for character in line:
        if character == '"':
            quoted = not quoted
        elif character == separator and not quoted:
            cells.append(cell)
            cell = ""
        else:
            cell += character
    return [*cells, cell]


def test_a_semicolon_cannot_start_a_formula_in_a_spreadsheet_that_splits_on_it(client, directory):
    """Finding 10: French Excel splits CSV lines on ";", and the city was exported unquoted, so
    "=cmd|' /C calc'!A0" became a cell of its own. Every field is now quoted: a value's ";" stays inside
    its cell, and no cell starts with "=" whichever separator the spreadsheet uses."""
    Organisation.objects.create(name_fr="Injection", city=PAYLOAD, country="BE")
    data = text(client.get("/en/export.csv", {"country": "BE"}))
    (row,) = csv.DictReader(io.StringIO(data))
    assert row["city"] == PAYLOAD  # read back exactly (it starts with no formula character)
    for separator in (",", ";"):
        for line in data.splitlines():
            cells = spreadsheet_cells(line, separator)
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), cells
    assert PAYLOAD in spreadsheet_cells(data.splitlines()[1], ",")


@pytest.mark.parametrize(
    "number", ["+33 1 23 45 67 89", "+33 (0)1 23 45 67 89", "+1-202-555-0143", "01.23.45.67.89", "+221 33/889"]
)
def test_telephone_numbers_are_exported_as_typed(client, directory, number):
    """Finding 10: a number-shaped value is no formula; it used to be exported as "'+33 …"."""
    Organisation.objects.create(name_fr="Numéros", telephone=number, fax=number, country="BE")
    (row,) = csv_rows(client, "/en/export.csv", {"country": "BE"})
    assert row["telephone"] == row["fax"] == number


@pytest.mark.parametrize("value", ["+33 1 23=2", "+33 @1", "-33 1 23 45", "+ 33", "+", "+cmd|' /C calc'!A0"])
def test_values_only_almost_number_shaped_are_still_neutralised(client, directory, value):
    Organisation.objects.create(name_fr="Numéros", telephone=value, country="BE")
    (row,) = csv_rows(client, "/en/export.csv", {"country": "BE"})
    assert row["telephone"] == "'" + value


def test_xlsx_cells_are_text_never_formulas(client, directory):
    """Finding 10 in Excel's own format: text is stored as text cells, shown exactly as typed; a value
    starting with "=" is not written as a formula."""
    Organisation.objects.create(
        name_fr="=HYPERLINK(\"http://evil\")", city=PAYLOAD, telephone="+33 1 23 45 67 89", country="BE"
    )
    response = client.get("/en/export.xlsx", {"country": "BE"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["X-Row-Count"] == "1"
    sheet = xlsx_sheet(response)
    header = [cell.value for cell in sheet[1]]
    cells = {name: sheet.cell(row=2, column=header.index(name) + 1) for name in ("name_fr", "city", "telephone")}
    assert cells["name_fr"].value == '=HYPERLINK("http://evil")' and cells["name_fr"].data_type == "s"
    assert cells["city"].value == PAYLOAD and cells["city"].data_type == "s"
    assert cells["telephone"].value == "+33 1 23 45 67 89"


def test_xlsx_has_every_published_organisation_with_labels(client, directory):
    rows = xlsx_rows(client.get("/fr/export.xlsx"))
    assert {r["slug"] for r in rows} == ALL
    aimf = next(r for r in rows if r["slug"] == "aimf")
    assert aimf["kind_label"] == "Réseau international"
    assert aimf["experiences"] == 1  # a number, not text


def test_csv_follows_the_criteria(client, directory):
    assert [r["slug"] for r in csv_rows(client, "/fr/export.csv", {"worked_in": "CI"})] == ["aimf"]
    assert [r["slug"] for r in csv_rows(client, "/fr/export.csv", {"sector": "11110"})] == ["ville-de-lyon"]
    assert csv_rows(client, "/fr/export.csv", {"q": "zanzibar"}) == []


def test_json_is_a_valid_array_following_the_criteria(client, directory):
    response = client.get("/en/export.json", {"country": "FR"})
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Row-Count"] == "2"
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


# --- experiences -----------------------------------------------------------------------------------


def test_experiences_json_has_one_row_per_experience_with_everything(client, directory):
    response = client.get("/en/export-experiences.json", {"country": "FR"})
    data = json.loads(body(response))
    assert response["X-Row-Count"] == "2"
    assert [d["organisation"] for d in data] == ["ville-de-lyon", "aimf"]  # the search's order
    water = data[1]
    assert water["organisation_name"] == "International Association of Francophone Mayors"
    assert water["organisation_url"] == "http://testserver/en/organisations/aimf/"
    assert water["title_en"] == "Drinking water" and water["title_fr"] == "Eau potable pour les quartiers"
    assert water["role"] == "coordinator" and water["role_label"] == "Coordinator"
    assert water["start_date"] == "2010-01-01" and water["end_date"] == "2013-12-31"
    assert water["cost"] == "1100000.00"
    assert water["countries"] == ["BF", "CI"] and water["country_names"] == ["Burkina Faso", "Ivory Coast"]
    assert water["sectors"] == ["14030"] and water["sector_labels"] == ["Basic drinking water supply"]
    assert water["fundings"] == [{"donor": "European Commission, Non-State Actors", "amount": "500000.00"}]


def test_experiences_csv_and_xlsx_in_french(client, directory):
    (row,) = csv_rows(client, "/fr/export-experiences.csv", {"worked_in": "SN"})
    assert row["organisation"] == "ville-de-lyon"
    assert row["role_label"] == "Partenaire"
    assert row["country_names"] == "Sénégal"
    assert row["fundings"] == "Agence française de développement: 500000.00"
    assert row["end_date"] == ""
    (cells,) = xlsx_rows(client.get("/fr/export-experiences.xlsx", {"worked_in": "SN"}))
    assert cells["cost"] == 1100000  # a number in Excel
    assert cells["title_fr"] == "Écoles de Dakar"


def test_experiences_follow_the_criteria_both_ways(client, directory):
    found = json.loads(body(client.get("/en/export-experiences.json", {"country": "FR"})))
    assert {d["organisation"] for d in found} == {"aimf", "ville-de-lyon"}
    assert json.loads(body(client.get("/en/export-experiences.json", {"country": "SN"}))) == []


@pytest.mark.parametrize("size", [5, 40])
def test_export_query_count_does_not_grow_with_rows(client, directory, django_assert_num_queries, size):
    """Guards against N+1: the ids, the sectors' names, then three queries per chunk of organisations
    (four per chunk of experiences, plus the donors' names); on PostgreSQL the ids come from the chosen
    values' bitmaps, read first."""
    bitmaps = int(connection.vendor == "postgresql")
    Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Commune {n:02}", slug=f"commune-{n:02}", country="BE") for n in range(size)]
    )
    for organisation in Organisation.objects.filter(country="BE"):
        Experience.objects.create(organisation=organisation, role="partner", start_date="2020-01-01", title="x")
    with django_assert_num_queries(5 + bitmaps):
        body(client.get("/en/export.csv", {"country": "BE"}))
    with django_assert_num_queries(5 + bitmaps):
        body(client.get("/en/export.json", {"country": "BE"}))
    with django_assert_num_queries(8 + bitmaps):
        body(client.get("/en/export-experiences.csv", {"country": "BE"}))


# --- finding 1: the limit, and the whole directory's files -----------------------------------------


def test_an_export_at_the_limit_is_made_now(client, directory, settings):
    settings.EXPORT_STREAM_LIMIT = 4
    assert {r["slug"] for r in csv_rows(client, "/en/export.csv")} == ALL


def test_an_export_over_the_limit_without_files_says_so_and_offers_no_partial_file(client, directory, settings):
    settings.EXPORT_STREAM_LIMIT = 3
    response = client.get("/en/export.csv")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Too many results to export" in page
    assert "at most 3 rows" in page
    assert "being prepared" in page


def test_an_export_over_the_limit_is_the_whole_file_with_every_row(client, directory, settings):
    """Finding 1: at 100,000 organisations the export was cut at gunicorn's timeout (56,673 rows, 200).
    Over the limit, the whole directory comes from its file, every row of it."""
    build()
    settings.EXPORT_STREAM_LIMIT = 3
    response = client.get("/en/export.csv")
    assert response.status_code == 302
    assert response["Location"] == "/en/downloads/organisations.csv"
    response = client.get(response["Location"])
    assert response["X-Row-Count"] == "4"
    assert int(response["Content-Length"]) == len(data := body(response))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {r["slug"] for r in rows} == ALL
    assert rows[0]["url"] == "http://127.0.0.1:8000/en/organisations/aimf/"  # SITE_URL: built without a request


def test_a_search_over_the_limit_is_refused_with_the_whole_files_offered(client, directory, settings):
    build()
    settings.EXPORT_STREAM_LIMIT = 1
    response = client.get("/fr/export-experiences.csv", {"country": "FR"})  # 2 experiences, not all
    assert response.status_code == 400
    page = response.content.decode()
    assert "/fr/downloads/experiences.xlsx" in page and "/fr/downloads/organisations.json" in page
    assert client.get("/fr/export-experiences.csv", {"country": "SN"}).status_code == 200  # none: under


def test_the_whole_directory_comes_from_its_file_while_fresh_and_is_made_now_once_stale(
    client, directory, django_capture_on_commit_callbacks
):
    build()
    assert client.get("/en/export.json").status_code == 302
    assert client.get("/en/export.json", {"country": "FR"}).status_code == 200  # a search: made now
    with django_capture_on_commit_callbacks(execute=True):  # a new directory generation when it commits
        Organisation.objects.create(name_fr="Nouvelle", country="BE")
    response = client.get("/en/export.json")  # the file misses it: made now, under the limit
    assert len(json.loads(body(response))) == 5


def test_every_file_of_a_build_is_complete_in_both_languages(client, directory):
    current = build()
    experiences = Experience.objects.filter(organisation__published=True).count()
    for language in ("fr", "en"):
        rows = json.loads(body(client.get(f"/{language}/downloads/organisations.json")))
        assert {r["slug"] for r in rows} == ALL
        assert current.rows("organisations", language, "json") == 4
        csv_data = body(client.get(f"/{language}/downloads/experiences.csv")).decode("utf-8-sig")
        assert len(list(csv.DictReader(io.StringIO(csv_data)))) == experiences
        assert len(xlsx_rows(client.get(f"/{language}/downloads/organisations.xlsx"))) == 4
    french = json.loads(body(client.get("/fr/downloads/experiences.json")))
    assert {r["role_label"] for r in french} == {"Coordinateur", "Partenaire", "Associé"}


def test_files_are_served_gzipped_when_accepted_and_answer_conditional_requests(client, directory):
    build()
    plain = client.get("/en/downloads/organisations.csv")
    assert "Content-Encoding" not in plain
    assert plain["Vary"] == "Accept-Encoding"
    compressed = client.get("/en/downloads/organisations.csv", headers={"accept-encoding": "gzip, br"})
    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(body(compressed)) == body(plain)
    assert compressed["ETag"] != plain["ETag"]
    assert client.get("/en/downloads/organisations.csv", headers={"if-none-match": plain["ETag"]}).status_code == 304
    since = client.get("/en/downloads/organisations.csv", headers={"if-modified-since": plain["Last-Modified"]})
    assert since.status_code == 304
    assert body(client.get("/en/downloads/organisations.csv", headers={"if-none-match": '"other"'}))


@pytest.mark.parametrize(
    "header,gzipped",
    [("gzip", True), ("deflate, gzip;q=0.5", True), ("GZIP", True), ("gzip;q=0", False), ("gzip;q=x", False),
     ("br", False), ("", False), ("identity", False)],
)
def test_gzip_only_when_the_client_accepts_it(client, directory, header, gzipped):
    build()
    response = client.get("/en/downloads/organisations.json", headers={"accept-encoding": header})
    assert (response.get("Content-Encoding") == "gzip") is gzipped
    data = body(response)
    assert len(json.loads(gzip.decompress(data) if gzipped else data)) == 4


def test_unknown_freshness_serves_the_data_made_now(client, directory):
    """The state cache unreachable: the generation is unknown, so the files may be stale: made now."""
    build()
    with mock.patch("directory.export_files.generation", side_effect=ConnectionError("redis down")):
        response = client.get("/en/export.csv")
    assert response.status_code == 200 and response.streaming


@pytest.mark.parametrize("path", ["organisations.csv", "experiences.pdf", "people.json", "organisations.gz"])
def test_missing_files_are_404(client, directory, path):
    if path == "organisations.csv":  # before the first build
        assert client.get(f"/en/downloads/{path}").status_code == 404
        return
    build()
    assert client.get(f"/en/downloads/{path}").status_code == 404


def test_build_exports_does_nothing_while_fresh_and_rebuilds_after_a_change(
    directory, django_capture_on_commit_callbacks
):
    first = build()
    assert build().stamp == first.stamp  # fresh: nothing written
    with django_capture_on_commit_callbacks(execute=True):  # a new directory generation when it commits
        Organisation.objects.filter(slug="aimf").get().save()
    second = build()
    assert second.stamp != first.stamp and second.fresh
    assert not first.directory.exists() or first.directory != second.directory
    out = io.StringIO()
    call_command("build_exports", dry_run=True, stdout=out)
    assert out.getvalue().startswith("up to date")
    call_command("build_exports", force=True, verbosity=0)
    third = export_files.current()
    assert third.stamp != second.stamp
    # Only the current build and the one before are kept.
    assert sorted(p.name for p in (third.directory.parent).iterdir()) == sorted([second.stamp, third.stamp])


def test_a_build_only_counts_published_organisations(directory):
    Organisation.objects.filter(slug="aimf").update(published=False)
    current = build()
    assert current.rows("organisations", "fr", "csv") == 3
    assert current.rows("experiences", "en", "xlsx") == Experience.objects.exclude(organisation__slug="aimf").count()


def test_the_search_page_links_every_export_with_its_criteria_and_says_how_they_are_made(client, directory):
    page = client.get("/en/", {"country": "FR"}).content.decode()
    for path in ("export.csv", "export.xlsx", "export.json", "export-experiences.csv", "export-experiences.xlsx"):
        assert f'href="/en/{path}?country=FR"' in page
    assert "Downloads are made now from the current data" in page
    build()
    page = client.get("/fr/").content.decode()
    assert "Les téléchargements de l’annuaire entier viennent de fichiers faits le" in page


def test_amounts_keep_their_cents(client, directory):
    Experience.objects.filter(title_en="Drinking water").update(cost=Decimal("1234.56"))
    (row,) = csv_rows(client, "/en/export-experiences.csv", {"worked_in": "CI"})
    assert row["cost"] == "1234.56"
