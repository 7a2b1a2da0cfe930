"""A visitor follows a search by e-mail through a real browser, in both languages, on a phone and a laptop:
from the search page's link to the form, then from the confirmation mail's link to the confirmed alert's page,
then unsubscribes there; the hidden field is neither seen nor reached by keyboard; no axe violation, errors
shown or not. The live server runs in this process: its mails are in mail.outbox."""

import pytest
from django.core import mail

from alerts.models import Subscription
from institutions.models import Organisation
from tests.test_browser import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "fr": {"follow": "Suivre cette recherche par e-mail", "email": "Votre adresse e-mail",
           "monthly": "Une fois par mois", "send": "Suivre cette recherche",
           "asked": "Consultez votre boîte de réception", "confirm": "Confirmer l’alerte", "alert": "Votre alerte",
           "unsubscribe": "Se désabonner", "unsubscribed": "Désabonnement effectué",
           "required": "Ce champ est obligatoire.", "country": "France"},
    "en": {"follow": "Follow this search by e-mail", "email": "Your e-mail address", "monthly": "Once a month",
           "send": "Follow this search", "asked": "Check your mailbox", "confirm": "Confirm the alert",
           "alert": "Your alert", "unsubscribe": "Unsubscribe", "unsubscribed": "You are unsubscribed",
           "required": "This field is required.", "country": "France"},
}  # fmt: skip


@pytest.fixture
def lyon(db):
    return Organisation.objects.create(name_fr="Ville de Lyon", name_en="City of Lyon", country="FR")


@pytest.mark.parametrize("size", ["phone", "laptop"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_visitor_follows_a_search(live_server, open_page, lyon, lang, size):
    words = WORDS[lang]
    page = open_page(size, lang)
    page.goto(f"{live_server.url}/{lang}/?country=FR")
    page.get_by_role("link", name=words["follow"]).click()
    page.get_by_role("heading", name=words["follow"]).wait_for()
    assert page.url.endswith(f"/{lang}/alerts/?country=FR")
    assert page.locator("#id_website").is_hidden()
    assert page.get_by_text(words["country"]).first.is_visible()
    assert_no_axe_violations(page)

    # Sent empty: the error is in the page's language, and still no violation.
    page.get_by_role("button", name=words["send"]).click()
    page.get_by_text(words["required"]).first.wait_for()
    assert_no_axe_violations(page)

    page.get_by_label(words["email"]).fill("jeanne@example.net")
    page.get_by_label(words["monthly"]).check()
    # From the last choice, Tab reaches the button: never the hidden field.
    page.get_by_label(words["monthly"]).focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=words["asked"]).wait_for()
    assert_no_axe_violations(page)

    (confirmation,) = mail.outbox
    assert confirmation.to == ["jeanne@example.net"]
    link = next(line for line in confirmation.body.splitlines() if "/alerts/confirm/" in line).strip()
    page.goto(live_server.url + link[link.index(f"/{lang}/alerts/") :])
    assert_no_axe_violations(page)
    page.get_by_role("button", name=words["confirm"]).click()
    page.get_by_role("heading", name=words["alert"]).wait_for()
    assert_no_axe_violations(page)
    subscription = Subscription.objects.get()
    assert subscription.confirmed and subscription.frequency == "monthly" and subscription.language == lang

    page.get_by_role("button", name=words["unsubscribe"]).click()
    page.get_by_role("heading", name=words["unsubscribed"]).wait_for()
    assert_no_axe_violations(page)
    assert not Subscription.objects.exists()


def test_the_experiences_list_links_to_its_own_alert(live_server, open_page, lyon):
    page = open_page("laptop", "en")
    page.goto(f"{live_server.url}/en/experiences/?country=FR")
    page.get_by_role("link", name=WORDS["en"]["follow"]).click()
    page.get_by_role("heading", name=WORDS["en"]["follow"]).wait_for()
    assert page.url.endswith("/en/alerts/experiences/?country=FR")
    assert page.get_by_text("Experiences", exact=True).first.is_visible()
