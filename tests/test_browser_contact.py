"""A visitor writes to an organisation through a real browser, in both languages: from the profile's link to
the "sent" page; the hidden field is neither seen nor reached by keyboard; no axe violation, errors shown
or not."""

import pytest
from django.core import mail

from institutions.models import Organisation
from tests.test_browser import assert_no_axe_violations, label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "fr": {"link": "Contacter cette organisation", "name": "Votre nom", "email": "Votre adresse e-mail",
           "subject": "Objet", "message": "Message", "send": "Envoyer le message", "sent": "Message envoyé",
           "required": "Ce champ est obligatoire."},
    "en": {"link": "Contact this organisation", "name": "Your name", "email": "Your e-mail address",
           "subject": "Subject", "message": "Message", "send": "Send the message", "sent": "Message sent",
           "required": "This field is required."},
}  # fmt: skip


@pytest.fixture
def lyon(db):
    return Organisation.objects.create(
        name_fr="Ville de Lyon", name_en="City of Lyon", acronym="LYON", country="FR", email="lyon@example.org"
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_visitor_writes_to_an_organisation(live_server, open_page, lyon, lang):
    words = WORDS[lang]
    page = open_page("phone", lang)
    page.goto(f"{live_server.url}/{lang}/organisations/lyon/")
    page.get_by_role("link", name=words["link"]).click()
    assert page.locator("#id_website").is_hidden()
    assert_no_axe_violations(page)

    # Sent empty: the errors are in the page's language, and still no violation.
    page.get_by_role("button", name=words["send"]).click()
    page.get_by_text(words["required"]).first.wait_for()
    assert_no_axe_violations(page)

    page.get_by_label(words["name"]).fill("Jeanne Visiteuse")
    page.get_by_label(words["email"]).fill("jeanne@example.net")
    page.get_by_label(label(words["subject"])).fill("Eau potable")
    message = page.get_by_label(label(words["message"]))
    message.fill("Bonjour, travaillez-vous sur l'eau potable ?")
    # From the message, Tab reaches the copy box and then the button: never the hidden field.
    message.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "copy"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=words["sent"]).wait_for()
    assert_no_axe_violations(page)
    assert [m.to for m in mail.outbox] == [["lyon@example.org"], ["jeanne@example.net"]]
