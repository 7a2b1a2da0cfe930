"""Every page says what the site is and for whom, and names its icons and web manifest."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path, sentence", [
    ("/en/partners/login/", "Who does what in decentralised cooperation"),
    ("/fr/partners/login/", "Qui fait quoi dans la coopération décentralisée"),
])
def test_header_says_what_the_site_is_in_each_language(client, path, sentence):
    html = client.get(path).content.decode()
    header = html[html.index('<header class="site-header">'):html.index("</header>")]
    assert sentence in header


def test_pages_link_the_favicon_and_the_manifest(client):
    html = client.get("/en/partners/login/").content.decode()
    for href in ("icons/favicon.svg", "icons/favicon-32.png", "icons/apple-touch-icon.png", "site.webmanifest"):
        assert f'href="{settings.STATIC_URL}{href}"' in html
        assert finders.find(href), href


def test_manifest_icons_exist():
    manifest = json.loads(Path(finders.find("site.webmanifest")).read_text(encoding="utf-8"))
    assert manifest["short_name"] == "Platforma"
    for icon in manifest["icons"]:
        assert finders.find(icon["src"]), icon["src"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_admin_is_titled_platforma_administration(client, django_user_model, lang):
    from institutions.models import Organisation

    Organisation.objects.create(name_fr="Ville de Lyon", acronym="VDL", country="FR")
    staff = django_user_model.objects.create_superuser("staff@platforma.example", "a-long-password-1")
    client.force_login(staff)
    html = client.get("/admin/institutions/organisation/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert "Platforma — administration" in html
    assert "Django administration" not in html and "Administration de Django" not in html
    assert 'id="nav-sidebar"' not in html  # the list gets the page's width
    for column in ("column-name_and_acronym", "column-updated_date", "column-completeness_column"):
        assert column in html
    assert "Ville de Lyon (VDL)" in html


@pytest.mark.parametrize("path, word, not_word", [
    ("/fr/partners/password-reset/", "Adresse e-mail", "Courriel"),
    ("/en/partners/password-reset/", "E-mail address", ">Email"),
])
def test_reset_page_says_e_mail_address_as_the_login_page(client, path, word, not_word):
    html = client.get(path).content.decode()
    assert word in html and not_word not in html
