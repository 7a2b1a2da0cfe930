"""Asking to join through a real browser, in both languages: from the footer's link to the thank-you page,
finding one's organisation with the search on the access form; an organisation asking to be listed, errors
shown and then corrected. The hidden field is neither seen nor reached by keyboard; no axe violation."""

import pytest
from django.core import mail

from institutions.models import Organisation
from partners.models import JoinRequest
from tests.test_browser import assert_no_axe_violations, label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "fr": {"footer": "Demandez à rejoindre l’annuaire",
           "access": "Demander un accès partenaire à une organisation inscrite",
           "listing": "Demander l’inscription de votre organisation", "find": "Cherchez votre organisation",
           "search": "Rechercher", "organisation": "Votre organisation", "name": "Votre nom",
           "position": "Votre rôle ou fonction", "email": "Votre adresse e-mail", "message": "Quelques mots",
           "send": "Envoyer la demande", "sent": "Demande envoyée", "required": "Ce champ est obligatoire.",
           "org_name": "Nom de l’organisation", "kind": "Type d'organisation", "country": "Pays",
           "kind_value": "Commune", "country_value": "Sénégal"},
    "en": {"footer": "Ask to join", "access": "Ask for partner access to a listed organisation",
           "listing": "Ask for your organisation to be listed", "find": "Find your organisation",
           "search": "Search", "organisation": "Your organisation", "name": "Your name",
           "position": "Your role or position", "email": "Your e-mail address", "message": "A few words",
           "send": "Send the request", "sent": "Request sent", "required": "This field is required.",
           "org_name": "Name of the organisation", "kind": "Kind of organisation", "country": "Country",
           "kind_value": "Municipality", "country_value": "Senegal"},
}  # fmt: skip


@pytest.fixture
def lyon(db, django_user_model):
    django_user_model.objects.create_superuser("staff@platforma.example", "pw-correct-horse-battery")
    return Organisation.objects.create(name_fr="Ville de Lyon", name_en="City of Lyon", acronym="LYON", country="FR")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_person_asks_for_partner_access(live_server, open_page, lyon, lang):
    words = WORDS[lang]
    page = open_page("phone", lang)
    page.goto(f"{live_server.url}/{lang}/")
    page.get_by_role("link", name=words["footer"]).click()
    page.wait_for_url(f"{live_server.url}/{lang}/join/")  # axe on a page still being left finds no document
    assert_no_axe_violations(page)
    page.get_by_role("link", name=words["access"]).click()
    assert page.locator("#id_website").is_hidden()
    page.get_by_label(words["find"]).fill("Lyon")
    page.get_by_role("button", name=words["search"]).click()
    page.get_by_role("status").wait_for()
    assert_no_axe_violations(page)

    page.get_by_label(label(words["organisation"])).select_option("lyon")
    page.get_by_label(label(words["name"])).fill("Paul Martin")
    page.get_by_label(label(words["position"])).fill("Chargé de coopération")
    page.get_by_label(label(words["email"])).fill("paul@example.net")
    message = page.get_by_label(label(words["message"]))
    message.fill("Je tiendrai la fiche de la ville à jour.")
    # From the message, Tab reaches the button: never the hidden field.
    message.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=words["sent"]).wait_for()
    assert_no_axe_violations(page)
    kept = JoinRequest.objects.get()
    assert (kept.kind, kept.organisation, kept.language) == ("access", lyon, lang)
    assert [m.to for m in mail.outbox] == [["staff@platforma.example"]]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_organisation_asks_to_be_listed(live_server, open_page, lyon, lang):
    words = WORDS[lang]
    page = open_page("laptop", lang)
    page.goto(f"{live_server.url}/{lang}/join/")
    page.get_by_role("link", name=words["listing"]).click()
    page.get_by_label(label(words["org_name"])).fill("Commune de Kaolack")
    # Sent incomplete: the errors are in the page's language, what was typed stays, still no violation.
    page.get_by_role("button", name=words["send"]).click()
    page.get_by_text(words["required"]).first.wait_for()
    assert page.get_by_label(label(words["org_name"])).input_value() == "Commune de Kaolack"
    assert_no_axe_violations(page)

    page.get_by_label(label(words["kind"])).select_option(label=words["kind_value"])
    page.get_by_label(label(words["country"])).select_option(label=words["country_value"])
    page.get_by_label(label(words["name"])).fill("Awa Ndiaye")
    page.get_by_label(label(words["email"])).fill("awa@kaolack.example")
    page.get_by_label(label(words["message"])).fill("Kaolack coopère avec Lyon sur l'eau potable.")
    page.get_by_role("button", name=words["send"]).click()
    page.get_by_role("heading", name=words["sent"]).wait_for()
    kept = JoinRequest.objects.get()
    assert (kept.kind, kept.organisation_name, kept.country.code, kept.language) == (
        "listing", "Commune de Kaolack", "SN", lang,
    )  # fmt: skip
