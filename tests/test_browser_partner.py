"""A partner keeps their profile current through a real browser; a visitor sees it at once."""

import datetime
from decimal import Decimal

import pytest

from experiences.models import Donor
from institutions.models import Organisation
from partners.models import Membership
from tests.partners.partner_forms import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_partner_updates_the_profile_and_a_visitor_sees_it(live_server, page, django_user_model):
    aimf = Organisation.objects.create(
        name_fr="Association internationale des maires francophones", acronym="AIMF", country="FR"
    )
    user = django_user_model.objects.create_user("partner@aimf.example", PASSWORD)
    Membership.objects.create(user=user, organisation=aimf)
    Donor.objects.create(name_fr="Commission européenne", name_en="European Commission", acronym="CE")

    # Log in from the header's "Partner access" link (the front page has one in its text too).
    page.goto(f"{live_server.url}/fr/")
    account = page.get_by_role("navigation", name="Accès partenaires")
    account.get_by_role("link", name="Accès partenaires", exact=True).click()
    page.get_by_label("Adresse e-mail").fill("partner@aimf.example")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Mes organisations").wait_for()

    # Change the French description.
    page.get_by_role("link", name="Informations générales").click()
    page.get_by_label("Description générale en français").fill("Un réseau de maires engagés pour l’eau.")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Vos modifications sont enregistrées").wait_for()

    # Add an experience with a funding.
    page.get_by_role("navigation", name="Modifier le profil").get_by_role("link", name="Expériences").click()
    page.get_by_role("link", name="Ajouter une expérience").click()
    page.get_by_label("Titre de l’action en français").fill("Forages à Niamey")
    page.locator("select[name=role]").select_option("coordinator")  # the participants' rows have a role too
    page.get_by_label("coût de l'action (EUR)").fill("80000")
    page.get_by_label("Date de début").fill("2014-01-01")
    page.get_by_label("Date de fin").fill("2016-12-31")
    page.locator("select[name=fundings-0-donor]").select_option(label="CE")
    page.locator("input[name=fundings-0-amount]").fill("50000")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Vos modifications sont enregistrées").wait_for()
    assert page.get_by_role("link", name="Forages à Niamey", exact=True).is_visible()

    # Log out.
    page.get_by_role("button", name="Se déconnecter").click()
    account.get_by_role("link", name="Accès partenaires", exact=True).wait_for()

    # A visitor sees both on the public profile, in French.
    page.goto(f"{live_server.url}/fr/organisations/aimf/")
    assert page.get_by_text("Un réseau de maires engagés pour l’eau.").is_visible()
    assert page.get_by_text("Forages à Niamey").is_visible()
    experience = aimf.experiences.get()
    assert experience.cost == Decimal("80000")
    assert experience.start_date == datetime.date(2014, 1, 1)
    assert experience.fundings.get().amount == Decimal("50000")
