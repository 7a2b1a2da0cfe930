"""Every page says what the site is and for whom, and names its icons and web manifest."""

import json

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
    manifest = json.loads(open(finders.find("site.webmanifest"), encoding="utf-8").read())
    assert manifest["short_name"] == "Platforma"
    for icon in manifest["icons"]:
        assert finders.find(icon["src"]), icon["src"]
