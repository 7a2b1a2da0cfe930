"""The partner's dashboard (each organisation with what its profile lacks, published state, last update, update
reminders) and the password change page, in both languages, for the owner, another partner, staff and
anonymous visitors."""

from datetime import timedelta

import pytest
from django.utils import timezone

from institutions.models import Organisation
from partners.models import Reminder, RemindersOff
from tests.partners.partner_forms import PASSWORD

pytestmark = pytest.mark.django_db

WORDS = {
    "fr": {"filled": "5 champs remplis sur 13", "published": "Oui : les visiteurs voient le profil.",
           "next": "Prochain le", "off": "Aucun : le secrétariat les a désactivés."},
    "en": {"filled": "5 of 13 fields filled in", "published": "Yes: visitors see the profile.",
           "next": "Next on", "off": "None: the secretariat switched them off."},
}  # fmt: skip


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_dashboard_says_what_the_profile_lacks_with_links(client, owner, aimf, ouaga, lang):
    client.force_login(owner)
    page = client.get(f"/{lang}/partners/").content.decode()
    words = WORDS[lang]
    assert words["filled"] in page and words["published"] in page
    # Empty fields, each linked to the tab where it is filled in.
    assert f'<a href="/{lang}/partners/organisations/aimf/competences/">' in page
    assert f'<a href="/{lang}/partners/organisations/aimf/experiences/">' in page
    assert f'<a href="/{lang}/partners/organisations/aimf/">{"site web" if lang == "fr" else "website"}</a>' in page
    # The next reminder: a year after the last update.
    due = aimf.updated + timedelta(days=365)
    assert words["next"] in page and f"{due:%Y}" in page
    assert "Ouagadougou" not in page  # another partner's organisation


def test_the_dashboard_shows_a_reminder_sent_and_reminders_switched_off(client, owner, aimf):
    client.force_login(owner)
    Organisation.objects.filter(pk=aimf.pk).update(updated=timezone.now() - timedelta(days=400))
    aimf.refresh_from_db()
    Reminder.objects.create(organisation=aimf, last_update=aimf.updated, round=1, recipients=owner.email)
    page = client.get("/en/partners/").content.decode()
    assert "Sent on" in page and "Next on" in page
    RemindersOff.objects.create(organisation=aimf)
    assert WORDS["en"]["off"] in client.get("/en/partners/").content.decode()


def test_the_dashboard_needs_a_login(client):
    response = client.get("/fr/partners/")
    assert response.status_code == 302 and response["Location"].startswith("/fr/partners/login/")


def test_staff_without_organisations_see_the_way_to_the_admin(client, staff):
    client.force_login(staff)
    page = client.get("/en/partners/").content.decode()
    assert "Your account may not edit any organisation yet." in page and "/admin/" in page


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_partner_changes_their_password(client, owner, lang):
    client.force_login(owner)
    url = f"/{lang}/partners/password/"
    assert client.get(url).status_code == 200
    wrong = client.post(
        url, {"old_password": "nope", "new_password1": "n3w-Pass-phrase!", "new_password2": "n3w-Pass-phrase!"}
    )
    assert wrong.status_code == 200
    said = "Votre ancien mot de passe est incorrect" if lang == "fr" else "Your old password was entered incorrectly"
    assert said in wrong.content.decode()
    response = client.post(
        url, {"old_password": PASSWORD, "new_password1": "n3w-Pass-phrase!", "new_password2": "n3w-Pass-phrase!"}
    )
    assert response.status_code == 302 and response["Location"] == f"/{lang}/partners/password/done/"
    owner.refresh_from_db()
    assert owner.check_password("n3w-Pass-phrase!")
    assert client.get(response["Location"]).status_code == 200  # still logged in


def test_the_password_page_needs_a_login(client):
    response = client.get("/en/partners/password/")
    assert response.status_code == 302 and response["Location"].startswith("/en/partners/login/")
    assert client.post("/en/partners/password/", {"old_password": "x"}).status_code == 302
