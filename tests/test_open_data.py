"""The open data page: what can be reused, where, under which licence; in both languages, linked from every
page's footer."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation


def page_url(lang):
    with translation.override(lang):
        return reverse("opendata:open_data")


@pytest.mark.parametrize(
    "lang, heading, licence",
    [
        ("fr", "Activités IITA", "licence Creative Commons Attribution 4.0"),
        ("en", "IATI activities", "Creative Commons Attribution 4.0 licence"),
    ],
)
def test_page_explains_each_way_to_reuse_the_data_in_its_language(client, db, lang, heading, licence):
    response = client.get(page_url(lang))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{lang}">' in page
    assert heading in page and licence in page
    with translation.override(lang):
        for name in ["directory:export_csv", "directory:export_json", "directory:feed_rss", "opendata:iati_export",
                     "api:docs", "api:schema", "api:organisations"]:  # fmt: skip
            assert f'href="{reverse(name)}' in page
    assert settings.IATI_PREFIX in page
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in page


@pytest.mark.parametrize("lang, label", [("fr", "Données ouvertes"), ("en", "Open data")])
def test_footer_links_the_page(client, db, lang, label):
    with translation.override(lang):
        home = reverse("directory:search")
    page = client.get(home).content.decode()
    footer = page[page.index('<footer class="site-footer">') :]
    assert f'<a href="{page_url(lang)}">{label}</a>' in footer
