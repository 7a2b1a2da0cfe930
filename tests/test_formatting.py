"""Amounts and dates in the active language (institutions/formatting.py, the template filters' functions)."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from institutions.formatting import bare_url, daterange, money, tel_href


def plain(text):
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize(("lang", "amount", "expected"), [
    ("fr", Decimal("1100000"), "1 100 000 €"),
    ("fr", Decimal("717744.50"), "717 744,50 €"),
    ("fr", Decimal("830000.00"), "830 000 €"),
    ("fr", Decimal("0"), "0 €"),
    ("fr", Decimal("999.5"), "999,50 €"),
    ("en", Decimal("1100000"), "€1,100,000"),
    ("en", Decimal("717744.50"), "€717,744.50"),
    ("en", Decimal("830000.00"), "€830,000"),
    ("en", "12.345", "€12.35"),
])
def test_money(lang, amount, expected):
    with translation.override(lang):
        assert plain(money(amount)) == expected


def test_money_never_goes_through_float():
    # 0.1 + 0.2 as a float would print 0.30000000000000004 before rounding.
    with translation.override("en"):
        assert money(Decimal("0.1") + Decimal("0.2")) == "€0.30"
        assert money(Decimal("12345678901.99")) == "€12,345,678,901.99"


@pytest.mark.parametrize("value", [None, "", "abc", object()])
def test_money_of_nothing_or_garbage_is_empty(value):
    assert money(value) == ""


@pytest.mark.parametrize(("lang", "expected"), [
    ("fr", "01/01/2010 – 31/12/2013"),
    ("en", "1 Jan 2010 – 31 Dec 2013"),
])
def test_daterange(lang, expected):
    with translation.override(lang):
        assert daterange(datetime.date(2010, 1, 1), datetime.date(2013, 12, 31)) == expected


@pytest.mark.parametrize(("lang", "expected"), [("fr", "depuis le 01/01/2020"), ("en", "since 1 Jan 2020")])
def test_daterange_without_end_is_ongoing(lang, expected):
    with translation.override(lang):
        assert daterange(datetime.date(2020, 1, 1), None) == expected


def test_daterange_in_a_template():
    template = Template("{% load platforma %}{{ start|daterange:end }}")
    with translation.override("en"):
        context = Context({"start": datetime.date(2009, 1, 1), "end": datetime.date(2012, 4, 30)})
        text = template.render(context)
    assert text == "1 Jan 2009 – 30 Apr 2012"


@pytest.mark.parametrize(("url", "expected"), [
    ("http://www.aimf.asso.fr", "www.aimf.asso.fr"),
    ("https://www.aimf.asso.fr/", "www.aimf.asso.fr"),
    ("HTTPS://example.org/path/", "example.org/path"),
])
def test_bare_url(url, expected):
    assert bare_url(url) == expected


def test_tel_href_keeps_the_plus_and_digits():
    assert tel_href("+33 14 48 82 288") == "+33144882288"
    assert tel_href("(01) 23-45") == "012345"
