"""Stale edits in the admin (issue 14, finding 6): a change form opened before someone else's save is
refused like on the partner pages, with the same message, and the page then shows the current data."""

import pytest

from experiences.models import Experience
from institutions.models import Organisation
from tests.factories import admin_url, form_data

pytestmark = pytest.mark.django_db

MESSAGE = {
    "en": "Someone else saved this profile since you opened it.",
    "fr": "Quelqu’un d’autre a enregistré ce profil depuis que vous l’avez ouvert.",
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_stale_organisation_form_is_refused(client, staff, org, lang):
    """Finding 6 of issue 14: staff silently overwrote a partner's save made after they opened the form."""
    address = admin_url(Organisation, "change", org.pk)
    opened = form_data(client.get(address))
    partner_copy = Organisation.objects.get(pk=org.pk)
    partner_copy.city = "Lyon 3e"  # the partner saves meanwhile
    partner_copy.save()
    response = client.post(address, {**opened, "city": "Villeurbanne"}, follow=True, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.redirect_chain == [(address, 302)]
    assert MESSAGE[lang] in response.content.decode()
    org.refresh_from_db()
    assert org.city == "Lyon 3e"
    assert response.context["adminform"].form["city"].value() == "Lyon 3e"  # the current data is shown
    # Opened again, the same change goes through.
    again = form_data(response)
    assert client.post(address, {**again, "city": "Villeurbanne"}).status_code == 302
    org.refresh_from_db()
    assert org.city == "Villeurbanne"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_stale_experience_form_is_refused(client, staff, experience, lang):
    address = admin_url(Experience, "change", experience.pk)
    opened = form_data(client.get(address))
    partner_copy = Experience.objects.get(pk=experience.pk)
    partner_copy.title_fr = "Leur version"
    partner_copy.save()
    response = client.post(address, {**opened, "title_fr": "Ma version"}, follow=True, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.redirect_chain == [(address, 302)]
    assert MESSAGE[lang] in response.content.decode()
    experience.refresh_from_db()
    assert experience.title_fr == "Leur version"


def test_a_form_without_its_version_is_refused(client, staff, org):
    address = admin_url(Organisation, "change", org.pk)
    opened = form_data(client.get(address))
    del opened["seen_version"]
    response = client.post(address, {**opened, "city": "Villeurbanne"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.city != "Villeurbanne"
