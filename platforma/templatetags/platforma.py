"""Template helpers shared by every page."""

import datetime
import functools
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import dateformat, numberformat, timezone, translation
from django.utils.encoding import iri_to_uri
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

register = template.Library()


def path_in_language(request, lang_code):
    """This page (path and query string) in another language. Reversed from the view that answered, once
    per request and language: translate_url() resolved the path again for each of the page's four links
    (hreflang and the language switch)."""
    paths = request.__dict__.setdefault("_paths_in_language", {})
    if lang_code not in paths:
        paths[lang_code] = _reversed_in_language(request, lang_code) or translate_url(
            request.get_full_path(), lang_code
        )
    return paths[lang_code]


def _reversed_in_language(request, lang_code):
    """The answering view's URL in that language with this query string, or None when it has no name (an
    error page) or none in that language."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.url_name:
        return None
    with translation.override(lang_code):
        try:
            path = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
        except NoReverseMatch:
            return None
    query = iri_to_uri(request.META.get("QUERY_STRING", ""))
    return f"{path}?{query}" if query else path


@register.simple_tag(takes_context=True)
def url_in_language(context, lang_code):
    """This page (path and query string) in another language, for the language switch and hreflang."""
    request = context.get("request")
    if request is None:
        return f"/{lang_code}/"
    return path_in_language(request, lang_code)


@register.simple_tag(takes_context=True)
def absolute_url_in_language(context, lang_code):
    request = context["request"]
    return request.build_absolute_uri(path_in_language(request, lang_code))


# --- Translated content with a visible fallback ------------------------------------------------------

# Said in the reader's language, about the language the text is actually in.
ONLY_IN = {"fr": _("Available in French only"), "en": _("Available in English only")}


@dataclass
class Translated:
    """A translated field's text as shown: in the active language, or in another one (a fallback)."""

    text: str
    lang: str
    is_fallback: bool

    @property
    def note(self):
        return ONLY_IN.get(self.lang, "") if self.is_fallback else ""

    def __str__(self):
        return self.text


def translated_field(obj, field):
    """THE rule for showing modeltranslation content: the active language, else the first other
    language that has text, flagged so the page can say so and mark the element with its lang."""
    active = (get_language() or settings.LANGUAGE_CODE)[:2]
    languages = [code for code, _name in settings.LANGUAGES]
    for code in [active] + [c for c in languages if c != active]:
        text = getattr(obj, f"{field}_{code}", None)
        if text:
            return Translated(text, code, code != active)
    return Translated(getattr(obj, field, "") or "", active, False)


@register.simple_tag
def translated(obj, field):
    """{% translated organisation "description" as description %} then description.text / .lang /
    .is_fallback / .note."""
    return translated_field(obj, field)


@register.filter
def lang_attr(value):
    """` lang="fr"` on an element whose text fell back to another language, nothing otherwise."""
    if isinstance(value, Translated) and value.is_fallback:
        return format_html(' lang="{}"', value.lang)
    return ""


@register.simple_tag
def fallback_note(value):
    """The note "Available in French only" under a text shown in another language than the page's, else
    nothing. (A simple tag, not an included template: a profile asks it of every translated text.)"""
    if isinstance(value, Translated) and value.is_fallback:
        return format_html('<p class="fallback-note">{}</p>', value.note)
    return ""


# --- Money and dates in the active language --------------------------------------------------------

NARROW_NBSP = "\u202f"
NBSP = "\xa0"


@register.filter
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


@register.filter
def short_date(value):
    """FR "01/01/2010", EN "1 Jan 2010"; a timestamp is shown as its local date."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return dateformat.format(value, DATE_FORMATS.get((get_language() or "")[:2], "Y-m-d"))


@register.filter
def daterange(start, end=None):
    """FR "01/01/2010 – 31/12/2013", EN "1 Jan 2010 – 31 Dec 2013"; no end date: "since …"."""
    if not start:
        return ""
    if not end:
        return gettext("since %(date)s") % {"date": short_date(start)}
    return f"{short_date(start)} – {short_date(end)}"


# --- Structured data ---------------------------------------------------------------------------------

# The same escapes as Django's json_script: the JSON cannot close the <script> element or open a comment.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def jsonld(data):
    """A schema.org JSON-LD block, escaped like json_script (which cannot set type="application/ld+json")."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


# --- Countries -------------------------------------------------------------------------------------


@functools.cache
def country_names(language):
    """{code: name} in `language`: django-countries' list is fixed for the life of the process, and a
    page with many countries asked it for each name (the slowest part of an experience's markup)."""
    with translation.override(language):
        return {code: str(name) for code, name in countries}


@register.filter
def country_name(code):
    """The name of a country code in the active language ("SN" -> "Sénégal")."""
    return country_names(get_language() or settings.LANGUAGE_CODE).get(str(code or ""), "")


# --- Contact details ---------------------------------------------------------------------------------


@register.filter
def bare_url(url):
    """www.aimf.asso.fr for http://www.aimf.asso.fr/: how people write a website."""
    return re.sub(r"^https?://", "", url or "", flags=re.IGNORECASE).rstrip("/")


@register.filter
def tel_href(number):
    """+33 14 48 82 288 -> +33144882288 for a tel: link (RFC 3966 wants no spaces)."""
    number = (number or "").strip()
    return ("+" if number.startswith("+") else "") + re.sub(r"\D", "", number)
