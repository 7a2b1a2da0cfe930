"""Money, dates, countries and contact details written as the active language writes them: the template
filters of the same names (platforma/templatetags/platforma.py) and the Python that shows them (admin,
exports, feeds) call these."""

import datetime
import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils import dateformat, numberformat, timezone, translation
from django.utils.translation import get_language, gettext
from django_countries import countries

NARROW_NBSP = "\u202f"
NBSP = "\xa0"


def money(value):
    """EUR amount: FR "1 100 000 €" / "717 744,50 €", EN "€1,100,000" / "€717,744.50".
    Decimal all the way (never float); cents only when there are some."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return ""
    places = 0 if amount == amount.to_integral_value() else 2
    if (get_language() or "")[:2] == "fr":
        number = numberformat.format(amount, ",", places, 3, NARROW_NBSP, force_grouping=True)
        return f"{number}{NBSP}€"
    number = numberformat.format(abs(amount), ".", places, 3, ",", force_grouping=True)
    return f"{'-' if amount < 0 else ''}€{number}"


DATE_FORMATS = {"fr": "d/m/Y", "en": "j M Y"}


def short_date(value):
    """FR "01/01/2010", EN "1 Jan 2010"; a timestamp is shown as its local date."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return dateformat.format(value, DATE_FORMATS.get((get_language() or "")[:2], "Y-m-d"))


def daterange(start, end=None):
    """FR "01/01/2010 – 31/12/2013", EN "1 Jan 2010 – 31 Dec 2013"; no end date: "since …"."""
    if not start:
        return ""
    if not end:
        return gettext("since %(date)s") % {"date": short_date(start)}
    return f"{short_date(start)} – {short_date(end)}"


@functools.cache
def country_names(language):
    """{code: name} in `language`: django-countries' list is fixed for the life of the process, and a
    page with many countries asked it for each name (the slowest part of an experience's markup)."""
    with translation.override(language):
        return {code: str(name) for code, name in countries}


def country_name(code):
    """The name of a country code in the active language ("SN" -> "Sénégal")."""
    return country_names(get_language() or settings.LANGUAGE_CODE).get(str(code or ""), "")


def bare_url(url):
    """www.aimf.asso.fr for http://www.aimf.asso.fr/: how people write a website."""
    return re.sub(r"^https?://", "", url or "", flags=re.IGNORECASE).rstrip("/")


def tel_href(number):
    """+33 14 48 82 288 -> +33144882288 for a tel: link (RFC 3966 wants no spaces)."""
    number = (number or "").strip()
    return ("+" if number.startswith("+") else "") + re.sub(r"\D", "", number)
