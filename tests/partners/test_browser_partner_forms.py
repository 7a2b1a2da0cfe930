"""The experience form in a browser: amounts typed as the language writes them, searchable pickers used
with the keyboard, as many funding rows as needed; on a phone and on a desktop."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from experiences.models import Donor
from institutions.models import Organisation, Sector, SectorCategory
from partners.models import Membership
from tests.partners.partner_forms import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABELS = {
    "fr": {"login": "Se connecter", "email": "Adresse e-mail", "password": "Mot de passe", "save": "Enregistrer",
           "saved": "Vos modifications sont enregistrées", "title": "Titre de l’action en français",
           "cost": "coût de l'action (EUR)", "start": "Date de début", "add": "Ajouter une ligne de bailleur"},
    "en": {"login": "Log in", "email": "E-mail address", "password": "Password", "save": "Save",
           "saved": "Your changes are saved", "title": "Action title in French",
           "cost": "cost of the action (EUR)", "start": "Start date", "add": "Add a donor row"},
}


@pytest.fixture
def partner(django_user_model, no_sectors):
    aimf = Organisation.objects.create(name_fr="Association internationale des maires francophones", acronym="AIMF")
    user = django_user_model.objects.create_user("partner@aimf.example", PASSWORD)
    Membership.objects.create(user=user, organisation=aimf)
    for acronym in ("CE", "AFD", "GIZ"):
        Donor.objects.create(name_fr=acronym, name_en=acronym, acronym=acronym)
    water = SectorCategory.objects.create(code="140", name_fr="Eau", name_en="Water")
    Sector.objects.create(code="14030", category=water, name_fr="Eau potable", name_en="Basic drinking water supply")
    Sector.objects.create(code="14050", category=water, name_fr="Déchets", name_en="Waste management")
    return aimf


def log_in(page, live_server, lang):
    words = LABELS[lang]
    page.goto(f"{live_server.url}/{lang}/partners/login/")
    page.get_by_label(words["email"]).fill("partner@aimf.example")
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["login"]).click()
    page.wait_for_url(f"{live_server.url}/{lang}/partners/")


@pytest.mark.parametrize("lang, typed, size", [("fr", "250 000,50", "phone"), ("en", "250,000.50", "laptop")])
def test_experience_with_typed_amounts_pickers_and_added_rows(open_page, live_server, partner, size, lang, typed):
    page = open_page(size, lang)
    words = LABELS[lang]
    log_in(page, live_server, lang)
    page.goto(f"{live_server.url}/{lang}/partners/organisations/aimf/experiences/new/")
    page.get_by_label(words["title"]).fill("Forages à Niamey")
    page.locator("select[name=role]").select_option("coordinator")
    page.get_by_label(words["cost"]).fill(typed)
    page.get_by_label(words["start"]).fill("2014-01-01")

    # Three donors: the form has two rows, the button adds a third.
    page.get_by_role("button", name=words["add"]).click()
    for index, (donor, amount) in enumerate([("CE", typed), ("AFD", "0"), ("GIZ", "0")]):
        page.locator(f"select[name=fundings-{index}-donor]").select_option(label=donor)
        page.locator(f"input[name=fundings-{index}-amount]").fill(amount)
    # Sectors (and countries, the same picker): type to filter, Enter to choose (Tom Select).
    page.locator("#id_sectors-ts-control").click()
    page.keyboard.type("drinking" if lang == "en" else "potable")
    page.locator("#id_sectors-ts-dropdown .option.active", has_text="14030").wait_for(state="attached")
    page.keyboard.press("Enter")
    expect(page.locator("#id_sectors")).to_have_values([str(Sector.objects.get(code="14030").pk)])
    page.keyboard.press("Escape")

    page.locator("h1").click()  # leave the picker: its list closes
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.get_by_role("button", name=words["save"], exact=True).click()
    try:
        expect(page.get_by_text(words["saved"])).to_be_visible()
    except AssertionError:  # the page says why: a field's error, or the form was never sent
        pytest.fail(f"not saved; the page at {page.url} reads:\n{page.locator('main').inner_text()}")

    experience = partner.experiences.get()
    assert experience.cost == Decimal("250000.50")
    assert sorted(experience.fundings.values_list("donor__acronym", "amount")) == [
        ("AFD", Decimal("0")), ("CE", Decimal("250000.50")), ("GIZ", Decimal("0"))
    ]
    assert [s.code for s in experience.sectors.all()] == ["14030"]


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_login_and_partner_pages_have_no_axe_violations(open_page, live_server, partner, size):
    from tests.test_browser import assert_no_axe_violations

    page = open_page(size)
    page.goto(f"{live_server.url}/fr/partners/login/")
    assert_no_axe_violations(page)
    log_in(page, live_server, "en")
    for path in ["", "organisations/aimf/", "organisations/aimf/experiences/new/"]:
        page.goto(f"{live_server.url}/en/partners/{path}")
        assert_no_axe_violations(page)


@pytest.mark.parametrize("lang, size", [("fr", "phone"), ("en", "laptop")])
def test_participants_picked_from_the_server_or_typed(open_page, live_server, partner, lang, size):
    """The organisation picker asks the server as one types (Tom Select's load()); another row, added by
    the button, names an organisation not listed."""
    from experiences.models import Participant

    ouaga = Organisation.objects.create(name_fr="Commune de Ouagadougou", name_en="City of Ouagadougou", country="BF")
    page = open_page(size, lang)
    words = LABELS[lang]
    log_in(page, live_server, lang)
    page.goto(f"{live_server.url}/{lang}/partners/organisations/aimf/experiences/new/")
    page.get_by_label(words["title"]).fill("Forages à Niamey")
    page.locator("select[name=role]").select_option("coordinator")
    page.get_by_label(words["start"]).fill("2014-01-01")

    page.locator("#id_participants-0-organisation-ts-control").click()
    page.keyboard.type("ouaga")
    page.locator("#id_participants-0-organisation-ts-dropdown .option.active", has_text="Ouagadougou").wait_for()
    page.keyboard.press("Enter")
    expect(page.locator("#id_participants-0-organisation")).to_have_value(ouaga.slug)
    page.keyboard.press("Escape")
    page.locator("select[name=participants-0-role]").select_option("partner")
    add = {"fr": "Ajouter une ligne de participant", "en": "Add a participant row"}[lang]
    page.get_by_role("button", name=add).click()
    page.locator("input[name=participants-2-name]").fill("Ville de Man")
    page.locator("select[name=participants-2-country]").select_option("CI")
    page.locator("select[name=participants-2-role]").select_option("associate")

    page.locator("h1").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.get_by_role("button", name=words["save"], exact=True).click()
    try:
        expect(page.get_by_text(words["saved"])).to_be_visible()
    except AssertionError:
        pytest.fail(f"not saved; the page at {page.url} reads:\n{page.locator('main').inner_text()}")
    rows = {(p.organisation_id, p.name, p.role) for p in Participant.objects.all()}
    assert rows == {(ouaga.pk, "", "partner"), (None, "Ville de Man", "associate")}
