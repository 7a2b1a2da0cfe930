"""Two languages: the root redirect, the language switch, hreflang and the French catalogue."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale" / "fr"
FRAGMENT = LOCALE / "fragments" / "profile.json"


@pytest.mark.parametrize(("accept", "target"), [
    ("fr-FR,fr;q=0.9,en;q=0.5", "/fr/"),
    ("en-GB,en;q=0.9", "/en/"),
    ("de-DE,de;q=0.9,en;q=0.7", "/en/"),
])
def test_root_redirects_by_accept_language(client, db, accept, target):
    response = client.get("/", headers={"accept-language": accept})
    assert response.status_code == 302
    assert response["Location"] == target


def test_root_redirects_to_french_by_default(client, db):
    assert client.get("/")["Location"] == "/fr/"


def test_language_switch_keeps_the_page(client, aimf):
    page = client.get("/en/organisations/aimf/").content.decode()
    assert '<a href="/fr/organisations/aimf/" hreflang="fr" lang="fr"' in page
    page = client.get("/fr/organisations/aimf/").content.decode()
    assert '<a href="/en/organisations/aimf/" hreflang="en" lang="en"' in page


def test_language_switch_keeps_the_query_string(client, db):
    page = client.get("/en/", {"q": "maires", "country": ["BF", "FR"]}).content.decode()  # the canonical URL
    assert '<a href="/fr/?q=maires&amp;country=BF&amp;country=FR" hreflang="fr"' in page


def test_hreflang_alternates_point_to_both_languages(client, aimf):
    page = client.get("/en/organisations/aimf/?x=1").content.decode()
    assert '<link rel="alternate" hreflang="fr" href="http://testserver/fr/organisations/aimf/?x=1">' in page
    assert '<link rel="alternate" hreflang="en" href="http://testserver/en/organisations/aimf/?x=1">' in page


# --- Locale smoke test -------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "strings"), [
    ("fr", ["Informations générales", "Expériences", "Imprimer cette page", "Compétences"]),
    ("en", ["General information", "Experiences", "Print this page", "Competences"]),
])
def test_profile_interface_is_in_the_page_language(client, aimf, lang, strings):
    page = client.get(f"/{lang}/organisations/aimf/").content.decode()
    assert f'<html lang="{lang}">' in page
    for string in strings:
        assert string in page


def test_french_is_active_in_french_urls():
    with translation.override("fr"):
        assert translation.gettext("Print this page") == "Imprimer cette page"


def _po_entries(path):
    """(msgid, msgstr, flags) of each entry; just enough of the .po format for this check."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        fields, current = {}, None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgstr|msgid_plural|msgstr\[\d\]) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if "msgid" in fields:
            entries.append((fields["msgid"], fields.get("msgstr", fields.get("msgstr[0]", "")), flags))
    return entries


def test_french_catalogue_translates_every_profile_string():
    wanted = json.loads(FRAGMENT.read_text(encoding="utf-8"))
    po = LOCALE / "LC_MESSAGES" / "django.po"
    entries = {msgid: (msgstr, flags) for msgid, msgstr, flags in _po_entries(po)}
    for msgid, msgstr in wanted.items():
        po_id = msgid.replace('"', '\\"')
        assert po_id in entries, f"{msgid!r} missing from django.po"
        translated, flags = entries[po_id]
        assert translated, f"{msgid!r} untranslated"
        assert "fuzzy" not in flags, f"{msgid!r} fuzzy"
        with translation.override("fr"):
            assert translation.gettext(msgid) == msgstr, f"{msgid!r}: django.mo out of date"
