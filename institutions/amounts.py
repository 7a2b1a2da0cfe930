"""Amounts in EUR typed as the page's language writes them, read with Babel's locale rules (CLDR).

French: "250 000,50" (a space, or the narrow no-break space the site prints, between thousands); English:
"250,000.50"; both: "250000". Read strictly: misplaced group separators are refused, and so is anything
with more than two decimals, which is how an ambiguous entry shows ("250,000" in French is 250 euros and
no cents written with three digits; "250.000" in English likewise). Shown back in the same format.
"""

from decimal import Decimal

from babel.numbers import NumberFormatError, format_decimal, get_group_symbol, parse_decimal
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def babel_locale():
    return (get_language() or "en")[:2]


def parse_amount(text, locale):
    """A Decimal from text typed in the locale's format; ValueError when it is not one (or is ambiguous)."""
    group = get_group_symbol(locale)
    text = " ".join(text.replace("€", " ").split())
    if group.isspace():
        text = text.replace(" ", group)  # any space typed between thousands is the locale's group space
    try:
        number = parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError as exc:
        raise ValueError(text) from exc
    if not number.is_finite() or number.as_tuple().exponent < -2:
        raise ValueError(text)
    return number


def format_amount(value, locale):
    """"250 000,50" / "250,000.50"; no decimals when there are no cents."""
    value = Decimal(value)
    pattern = "#,##0" if value == value.to_integral_value() else "#,##0.00"
    return format_decimal(value, format=pattern, locale=locale)


class AmountInput(forms.TextInput):
    """A text box with the decimal keypad on phones: <input type=number> silently drops what it cannot
    read in the browser's own locale ("250 000,50" became 25000050 in Chromium)."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})


class AmountField(forms.DecimalField):
    widget = AmountInput
    default_error_messages = {
        "invalid": _(
            "“%(value)s” is not an amount in EUR as written in this language: write for example "
            "%(example)s, or the number without separators (%(plain)s)."
        ),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        locale = babel_locale()
        try:
            return parse_amount(str(value), locale)
        except ValueError:
            example = format_amount(Decimal("1100000.50"), locale)
            raise ValidationError(
                self.error_messages["invalid"],
                code="invalid",
                params={"value": value, "example": example, "plain": "1100000"},
            ) from None

    def prepare_value(self, value):
        # A stored amount is shown in the page's language; what someone typed is shown back as typed.
        if isinstance(value, (Decimal, int)):
            return format_amount(value, babel_locale())
        return value
