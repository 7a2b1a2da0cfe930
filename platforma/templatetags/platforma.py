"""Template tags and filters shared by every page. Only tags: what Python code needs too lives in plain modules
(institutions/formatting.py, directory/translated.py), and the filters here call them."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import translation
from django.utils.encoding import iri_to_uri
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from contact.recipients import recipients
from directory.translated import Translated, translated_field
from institutions.formatting import bare_url, country_name, daterange, money, short_date, tel_href

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


# --- Translated content with a visible fallback (directory/translated.py) ----------------------------


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


# --- Money, dates, countries and contact details in the active language (institutions/formatting.py) --

register.filter(money)
register.filter(short_date)
register.filter(daterange)
register.filter(country_name)
register.filter(bare_url)
register.filter(tel_href)


# --- Structured data ---------------------------------------------------------------------------------

# The same escapes as Django's json_script: the JSON cannot close the <script> element or open a comment.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def contactable(organisation):
    """Whether a visitor may write to this organisation through its contact page: someone would receive it."""
    return bool(recipients(organisation))


@register.filter
def jsonld(data):
    """A schema.org JSON-LD block, escaped like json_script (which cannot set type="application/ld+json")."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))
