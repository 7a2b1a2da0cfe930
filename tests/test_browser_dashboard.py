"""A partner walks through their dashboard in a real browser, in both languages (issue 19): logs in, reads what
the profile lacks, follows the link of a missing field to the tab that fills it, saves, sees the count go up,
then changes their password and logs in again with the new one. No axe violation on the way."""

import pytest

from institutions.completeness import completeness, with_counts
from institutions.models import Organisation
from partners.models import Membership
from tests.partners.partner_forms import PASSWORD
from tests.test_browser import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "n3w-Pass-phrase-for-the-browser!"
WORDS = {
    "fr": {"email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
           "home": "Mes organisations", "filled": "{} champs remplis sur 13", "website": "site web",
           "website_label": "Site web", "save": "Enregistrer", "saved": "Vos modifications sont enregistrées",
           "change": "Changer mon mot de passe",
           "save_password": "Enregistrer mon mot de passe",
           "changed": "Mot de passe changé", "log_out": "Se déconnecter"},
    "en": {"email": "E-mail address", "password": "Password", "log_in": "Log in",
           "home": "My organisations", "filled": "{} of 13 fields filled in", "website": "website",
           "website_label": "Website", "save": "Save", "saved": "Your changes are saved",
           "change": "Change my password",
           "save_password": "Save my password",
           "changed": "Password changed", "log_out": "Log out"},
}  # fmt: skip


def log_in(page, url, words, password):
    page.goto(url)
    page.get_by_label(words["email"]).fill("owner@aimf.example")
    page.get_by_label(words["password"]).fill(password)
    page.get_by_role("button", name=words["log_in"]).click()
    page.get_by_role("heading", name=words["home"]).wait_for()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_partner_completes_the_profile_and_changes_the_password(live_server, open_page, django_user_model, lang):
    words = WORDS[lang]
    aimf = Organisation.objects.create(
        name_fr="Association internationale des maires francophones", acronym="AIMF", country="FR", city="Paris"
    )
    user = django_user_model.objects.create_user("owner@aimf.example", PASSWORD)
    Membership.objects.create(user=user, organisation=aimf)
    page = open_page("phone", lang)

    log_in(page, f"{live_server.url}/{lang}/partners/login/", words, PASSWORD)
    filled = completeness(with_counts(Organisation.objects.filter(pk=aimf.pk)).get())[0]
    page.get_by_text(words["filled"].format(filled)).wait_for()
    assert_no_axe_violations(page)

    # The missing website links to the tab that fills it in.
    page.get_by_role("link", name=words["website"], exact=True).click()
    page.get_by_label(words["website_label"]).fill("https://www.aimf.asso.fr")
    page.get_by_role("button", name=words["save"], exact=True).click()
    page.get_by_text(words["saved"]).wait_for()
    page.get_by_role("link", name=words["home"]).first.click()
    page.get_by_text(words["filled"].format(filled + 1)).wait_for()
    assert page.get_by_role("link", name=words["website"], exact=True).count() == 0

    # Change the password, log out, and log in with the new one.
    page.get_by_role("link", name=words["change"]).click()
    page.locator("#id_old_password").wait_for()  # the new page, before axe reads it
    assert_no_axe_violations(page)
    page.locator("#id_old_password").fill(PASSWORD)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name=words["save_password"]).click()
    page.get_by_role("heading", name=words["changed"]).wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("button", name=words["log_out"]).click()
    log_in(page, f"{live_server.url}/{lang}/partners/login/", words, NEW_PASSWORD)
