"""No 500 under any input on the public pages (issue 7): hypothesis throws arbitrary strings, numbers,
repeated and unknown parameters at every public GET endpoint. Every answer must be 2xx/3xx/4xx, and the
test client re-raises any exception a view lets escape, so a crash fails the test with its traceback.

The data is built once per test (the `directory` fixture) and shared by its examples: GET requests
change nothing."""

from urllib.parse import quote

import pytest
from fuzz_strategies import parameters, text, value
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

CRITERIA = [
    "q", "country", "kind", "sector", "worked_in", "experience_sector", "donor", "role",
    "partner_of", "active_from", "active_to", "sort", "page",
]  # fmt: skip
EXAMPLES = 50


# The fixtures (data, client) are made once per test and shared by its examples: GET requests change nothing.
fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def consume(response):
    """The whole body, streaming or not: a streamed export fails while it is being read."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def assert_no_server_error(response):
    consume(response)
    assert response.status_code < 500, response.status_code


LIST_PAGES = [
    "/fr/", "/en/", "/fr/print/", "/en/print/", "/en/feed/rss/", "/fr/feed/rss/", "/en/feed/atom/",
    "/fr/feed/atom/", "/fr/export.csv", "/en/export.csv", "/fr/export.json", "/en/export.json",
    "/fr/export.xlsx", "/en/export-experiences.csv", "/fr/export-experiences.json", "/en/export-experiences.xlsx",
]  # fmt: skip


@pytest.mark.parametrize("path", LIST_PAGES)
@fuzz
@given(params=parameters(CRITERIA))
def test_search_criteria_never_give_a_server_error(client, directory, path, params):
    assert_no_server_error(client.get(path, params))


@pytest.mark.parametrize("criterion", CRITERIA)
@settings(fuzz, max_examples=10)
@given(values=st.lists(value, min_size=1, max_size=3))
def test_each_criterion_alone_never_gives_a_server_error(client, directory, criterion, values):
    """One criterion at a time, so that a value the filter chokes on is not hidden by another criterion."""
    assert_no_server_error(client.get("/en/", {criterion: values}))


slugs = st.one_of(text.filter(bool), st.sampled_from(["aimf", "AIMF", "aimf-", "-", "_", "a" * 300, "%00"]))


@pytest.mark.parametrize("suffix", ["", "print/"])
@pytest.mark.parametrize("lang", ["fr", "en"])
@fuzz
@given(slug=slugs, params=parameters(["page", "lang"]))
@example(slug="aimf", params={})
def test_any_profile_address_answers_the_profile_or_404(client, directory, lang, suffix, slug, params):
    response = client.get(f"/{lang}/organisations/{quote(slug, safe='')}/{suffix}", params)
    assert_no_server_error(response)
    if slug == "aimf":
        assert response.status_code == 200


@pytest.mark.parametrize("path", ["/sitemap.xml", "/robots.txt", "/healthz", "/"])
@fuzz
@given(params=parameters(["p", "page", "lang", "format"]), accept_language=text)
def test_machine_pages_never_give_a_server_error(client, directory, path, params, accept_language):
    assert_no_server_error(client.get(path, params, headers={"accept-language": accept_language}))


export_names = st.one_of(
    st.sampled_from(["organisations", "experiences", "people", "", "organisations.csv"]), text.filter(bool)
)
export_formats = st.one_of(st.sampled_from(["csv", "xlsx", "json", "gz", "pdf", "CSV"]), text.filter(bool))


@pytest.mark.parametrize("lang", ["fr", "en"])
@settings(fuzz, max_examples=25)
@given(dataset=export_names, fmt=export_formats, params=parameters(["p", "page", "format", *CRITERIA]),
       encoding=st.sampled_from(["", "gzip", "gzip;q=0", "br, gzip", "*"]))
def test_export_files_and_formats_never_give_a_server_error(client, directory, lang, dataset, fmt, params, encoding):
    """Any dataset and format, built or not, with any parameters and Accept-Encoding (issue 14)."""
    if dataset == "organisations" and fmt == "csv":
        from django.core.management import call_command

        call_command("build_exports", verbosity=0)
    headers = {"accept-encoding": encoding}
    for path in (f"/{lang}/downloads/{quote(dataset, safe='')}.{quote(fmt, safe='')}",
                 f"/{lang}/export-{quote(dataset, safe='')}.{quote(fmt, safe='')}"):
        assert_no_server_error(client.get(path, params, headers=headers))


@pytest.mark.parametrize("path", ["/sitemap-organisations.xml", "/sitemap-search.xml"])
@settings(fuzz, max_examples=20)
@given(page=st.one_of(st.integers(-3, 10).map(str), text))
def test_sitemap_sections_never_give_a_server_error(client, directory, path, page):
    assert_no_server_error(client.get(path, {"p": page}))


@fuzz
@given(path=st.lists(text, min_size=1, max_size=4))
def test_arbitrary_paths_answer_404_not_500(client, directory, path):
    assert_no_server_error(client.get("/" + "/".join(quote(p, safe="") for p in path)))


# --- what the fuzzing found: each fixed, each kept as a plain regression test --------------------------

ALL = {"aimf", "ville-de-lyon", "region-de-dakar", "ancb"}  # the published organisations of `directory`


def slugs_found(client, params):
    import json

    response = client.get("/en/export.json", params)
    return {row["slug"] for row in json.loads(consume(response))}


@pytest.mark.parametrize("q", ["\x1b", "\x00", "\u0301", "\x7f\x1f", " \u0300 "])
@pytest.mark.parametrize("sort", [None, "relevance"])
def test_text_that_folds_to_nothing_is_no_search(client, directory, q, sort):
    """Found on PostgreSQL: q="\\x1b" folded to an empty search (no `rank`) but still asked for the
    relevance order: FieldError, 500."""
    params = {"q": q, **({"sort": sort} if sort else {})}
    for path in ["/en/", "/fr/print/", "/en/feed/rss/", "/fr/feed/atom/"]:
        response = client.get(path, params, follow=True)  # the search page redirects to it without the text
        assert response.status_code == 200, path
    assert slugs_found(client, params) == ALL
    # A real word next to them still searches.
    assert "ville-de-lyon" in slugs_found(client, {"q": "lyon\x1b"}) == slugs_found(client, {"q": "lyon"}) != ALL


@pytest.mark.parametrize("digits", ["²", "³", "①", "٣", "１"])
def test_non_ascii_digits_are_no_donor_id(client, directory, digits):
    """Found on SQLite: "²".isdigit() is True but int("²") raises ValueError: 500 on donor=²."""
    response = client.get("/en/", {"donor": digits})
    assert (response.status_code, response["Location"]) == (301, "/en/")  # ignored, as any malformed value
    assert slugs_found(client, {"donor": digits}) == ALL


def test_non_ascii_country_and_sector_values_are_ignored(client, directory):
    """ "ß".upper() is "SS" (South Sudan) and \\d matches Arabic-Indic digits: such values are malformed,
    not codes. (The same values written plainly do filter.)"""
    assert slugs_found(client, {"country": "ß"}) == ALL
    assert slugs_found(client, {"worked_in": "ß"}) == ALL
    assert slugs_found(client, {"sector": "١٤٠"}) == ALL
    assert slugs_found(client, {"sector": "140"}) != ALL
    assert slugs_found(client, {"country": "fr"}) == {"aimf", "ville-de-lyon"}
