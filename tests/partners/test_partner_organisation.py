"""General information and descriptions: saving, validation in the user's language, stale edits, history."""

import pytest
from django.urls import reverse
from django.utils import translation

from institutions.models import Organisation
from tests.partners.partner_forms import organisation_data


def edit_url(lang, organisation):
    with translation.override(lang):
        return reverse("partners:organisation", args=[organisation.slug])


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_form_shows_both_descriptions_side_by_side(client, owner, aimf, lang):
    client.force_login(owner)
    page = client.get(edit_url(lang, aimf)).content.decode()
    assert 'name="description_fr"' in page and 'name="description_en"' in page
    assert 'class="side-by-side"' in page
    assert f'name="version" value="{aimf.version}"' in page
    assert ("Description générale en français" if lang == "fr" else "General description in French") in page


def test_saving_shows_on_the_public_profile_at_once(client, owner, aimf):
    client.force_login(owner)
    before = aimf.updated
    data = organisation_data(aimf, description_fr="Nous soutenons les maires.", city="Lyon")
    response = client.post(edit_url("fr", aimf), data, follow=True)
    assert "Vos modifications sont enregistrées" in response.content.decode()
    aimf.refresh_from_db()
    assert aimf.description_fr == "Nous soutenons les maires."
    assert aimf.city == "Lyon"
    assert aimf.updated > before
    assert aimf.version == 2
    public = client.get(aimf.get_absolute_url()).content.decode()
    assert aimf.name_fr in public


def test_invalid_email_and_url_keep_what_was_typed_in_french(client, owner, aimf):
    client.force_login(owner)
    data = organisation_data(aimf, email="not-an-address", website="pas une url", city="Lyon <b>")
    response = client.post(edit_url("fr", aimf), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Saisissez une adresse e-mail valide." in page  # "e-mail", as the glossary says
    assert "Saisissez une URL valide." in page
    assert 'value="not-an-address"' in page and 'value="pas une url"' in page
    assert 'value="Lyon &lt;b&gt;"' in page  # kept, and escaped
    aimf.refresh_from_db()
    assert aimf.city == "Paris" and aimf.version == 1


def test_invalid_email_message_in_english_on_en(client, owner, aimf):
    client.force_login(owner)
    page = client.post(edit_url("en", aimf), organisation_data(aimf, email="nope")).content.decode()
    assert "Enter a valid email address." in page


def test_a_name_in_one_language_is_required(client, owner, aimf):
    client.force_login(owner)
    response = client.post(edit_url("fr", aimf), organisation_data(aimf, name_fr="", name_en=""))
    assert response.status_code == 200
    assert "Indiquez le nom de l" in response.content.decode()
    # English only is enough.
    response = client.post(edit_url("fr", aimf), organisation_data(aimf, name_fr="", name_en="Mayors"))
    assert response.status_code == 302


def test_stale_edit_is_refused_and_the_form_reloaded(client, owner, aimf):
    client.force_login(owner)
    opened = organisation_data(aimf)  # the form as this partner opened it (version 1)
    # Meanwhile someone else saves.
    aimf.city = "Marseille"
    aimf.save()
    opened.update(city="Lyon", description_fr="Mon texte")
    response = client.post(edit_url("fr", aimf), opened)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Quelqu’un d’autre a enregistré ce profil" in page
    assert 'value="Marseille"' in page  # fresh form with the current data
    assert f'name="version" value="{aimf.version}"' in page
    aimf.refresh_from_db()
    assert aimf.city == "Marseille"  # nothing overwritten
    # Reloaded form, saved again: accepted.
    response = client.post(edit_url("fr", aimf), organisation_data(aimf, city="Lyon"))
    assert response.status_code == 302
    aimf.refresh_from_db()
    assert aimf.city == "Lyon"


def test_stale_message_in_english(client, owner, aimf):
    client.force_login(owner)
    response = client.post(edit_url("en", aimf), organisation_data(aimf, version=aimf.version + 5))
    assert response.status_code == 409
    assert "Someone else saved this profile since you opened it" in response.content.decode()


def test_every_change_is_kept_with_its_author_and_an_earlier_version_restores(client, owner, aimf):
    client.force_login(owner)
    client.post(edit_url("fr", aimf), organisation_data(aimf, description_fr="Texte abîmé par erreur"))
    aimf.refresh_from_db()
    latest = aimf.history.latest()
    assert latest.history_user == owner
    assert latest.description_fr == "Texte abîmé par erreur"
    # Staff restore the first version through django-simple-history.
    first = aimf.history.earliest()
    assert first.description_fr == "Réseau de villes."
    first.instance.save()
    aimf = Organisation.objects.get(pk=aimf.pk)
    assert aimf.description_fr == "Réseau de villes."
    assert aimf.history.count() == 3
