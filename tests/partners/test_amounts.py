"""Amounts typed as each language writes them: read with Babel's rules, ambiguous ones refused, shown back."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from experiences.models import Experience
from institutions.amounts import format_amount, parse_amount
from tests.partners.partner_forms import experience_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("locale, text, amount", [
    ("fr", "250 000,50", "250000.50"),
    ("fr", "250\u202f000,50", "250000.50"),  # as the site prints it
    ("fr", "250\xa0000", "250000"),
    ("fr", "250000", "250000"),
    ("fr", "1 100 000 €", "1100000"),
    ("fr", "0,05", "0.05"),  # two decimals: the most allowed
    ("en", "250,000.50", "250000.50"),
    ("en", "250000", "250000"),
    ("en", "€1,100,000", "1100000"),
])
def test_amounts_in_each_language(locale, text, amount):
    assert parse_amount(text, locale) == Decimal(amount)


@pytest.mark.parametrize("locale, text", [
    ("fr", "250,000.50"),  # the English way, on a French page
    ("fr", "250,000"),  # three decimals: ambiguous (250 or 250 000?)
    ("fr", "0,005"),  # just above two decimals
    ("fr", "2 50 000"),  # misplaced group separator
    ("en", "250 000,50"),  # the French way, on an English page
    ("en", "250.000"),  # ambiguous
    ("en", "250,00"),  # misplaced group separator
    ("en", "12abc"),
    ("en", "NaN"),
])
def test_ambiguous_or_foreign_amounts_are_refused(locale, text):
    with pytest.raises(ValueError):
        parse_amount(text, locale)


def test_amounts_are_shown_in_the_language():
    assert format_amount(Decimal("250000.50"), "fr") == "250\u202f000,50"
    assert format_amount(Decimal("250000.50"), "en") == "250,000.50"
    assert format_amount(Decimal("250000.00"), "en") == "250,000"


def url(lang, name, *args):
    with translation.override(lang):
        return reverse(f"partners:{name}", args=args)


@pytest.mark.parametrize("lang, typed", [("fr", "250 000,50"), ("en", "250,000.50")])
def test_partner_types_the_cost_as_the_language_writes_it(client, owner, aimf, donors, lang, typed):
    client.force_login(owner)
    data = experience_data(cost=typed, fundings=[(donors["ce"], typed)])
    response = client.post(url(lang, "experience_add", aimf.slug), data)
    assert response.status_code == 302
    experience = Experience.objects.get(organisation=aimf)
    assert experience.cost == Decimal("250000.50")
    assert experience.fundings.get().amount == Decimal("250000.50")


@pytest.mark.parametrize("lang, typed, message", [
    ("fr", "250,000.50", "n’est pas un montant en EUR"),
    ("en", "250 000,50", "is not an amount in EUR"),
])
def test_foreign_format_is_refused_with_its_input_kept(client, owner, aimf, donors, lang, typed, message):
    client.force_login(owner)
    response = client.post(url(lang, "experience_add", aimf.slug), experience_data(cost=typed))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert f'name="cost" value="{typed}"' in page  # kept as typed, to correct
    assert not Experience.objects.filter(organisation=aimf).exists()
