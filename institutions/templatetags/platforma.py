"""Template helpers shared by every page."""

import datetime
import functools
import html
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import dateformat, formats, numberformat, timezone, translation
from django.utils.encoding import iri_to_uri
from django.utils.html import format_html, linebreaks
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


# --- Facets -------------------------------------------------------------------------------------------


def grouped_int(value):
    """An integer with the active language's thousands separator, as humanize's intcomma writes it
    ("1 234" / "1,234"), without its per-call format lookups: a facet list has a thousand numbers."""
    from django.utils.formats import get_format

    if get_format("NUMBER_GROUPING") != 3:
        return numberformat.format(
            value,
            get_format("DECIMAL_SEPARATOR"),
            grouping=get_format("NUMBER_GROUPING"),
            thousand_sep=get_format("THOUSAND_SEPARATOR"),
            force_grouping=True,
        )
    return f"{value:,}".replace(",", get_format("THOUSAND_SEPARATOR"))


@functools.lru_cache(maxsize=8192)
def _option_markup(field, value, label):
    """The fixed parts of one facet checkbox, escaped: the same few thousand (facet, value, label) on every
    page, so each is built once, and a page only adds whether it is ticked and its count."""
    field, value, label = html.escape(field), html.escape(value), html.escape(label)
    return (
        f'<li><input type="checkbox" name="{field}" value="{value}" id="id_{field}_{value}"',
        f'>\n      <label for="id_{field}_{value}">{label} <span class="count">(',
    )


@register.simple_tag
def facet_options(name, items):
    """The <li> checkboxes of one facet, built in Python: a facet list at 100,000 organisations has about a
    thousand values, and the same markup through template tags took most of the page's time. Every
    value and label is escaped (html.escape, in _option_markup)."""
    from django.utils.formats import get_format

    separator = html.escape(get_format("THOUSAND_SEPARATOR"))
    plain = get_format("NUMBER_GROUPING") == 3
    field = str(name)
    rows = []
    for item in items:
        count = f"{item['count']:,}".replace(",", separator) if plain else html.escape(grouped_int(item["count"]))
        start, middle = _option_markup(field, str(item["value"]), str(item["label"]))
        rows.append(f"{start}{' checked' if item['selected'] else ''}{middle}{count})</span></label></li>")
    return mark_safe("\n    ".join(rows))


@register.simple_tag
def facet_fieldset(name, legend, items, codes=None, toggle=None):
    """One facet's <fieldset>: its values, then its detailed codes (sectors) in a list that opens when one
    of them is chosen, then the link that shows all its values or only the most frequent (`toggle`, from
    views.facet_toggles). Nothing when the facet has no value to show."""
    if not items and not codes:
        return ""
    ident, legend = html.escape(str(name)), html.escape(str(legend))  # facet_options escapes `name` itself
    parts = [
        f'<fieldset class="facet" id="facet-{ident}">\n  <legend id="legend-{ident}">{legend}</legend>'
        f"\n  <ul>\n    {facet_options(name, items)}\n  </ul>"
    ]
    if codes:
        opened = " open" if any(item["selected"] for item in codes) else ""
        summary = html.escape(gettext("Detailed codes"))  # outside the f-string, where makemessages sees it
        parts.append(
            f'\n  <details class="codes"{opened}>\n    <summary>{summary}</summary>\n'
            f"    <ul>\n      {facet_options(name, codes)}\n    </ul>\n  </details>"
        )
    if toggle:
        parts.append(
            f'\n  <p class="facet-toggle"><a href="{html.escape(toggle["url"])}" aria-describedby="legend-{ident}">'
            f"{html.escape(toggle['label'])}</a></p>"
        )
    parts.append("\n</fieldset>")
    return mark_safe("".join(parts))


# --- Search results ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _long_date(day, language):
    """"27 novembre 2026" / "Nov. 27, 2026" (formats.date_format in `language`, the active one, which is part
    of the key), escaped: the same days recur on every list, and each took longer to format than the rest of
    its row."""
    return html.escape(formats.date_format(day))


@register.simple_tag
def result_items(rows):
    """The search results' <li>s (views.ResultRow), built in Python as the admin builds its change list
    rows (admin_list.items_for_result): the same markup through template tags cost more than the query."""
    competences_label = html.escape(gettext("Competences:"))
    updated_label = html.escape(gettext("last updated"))
    language = get_language()
    items = []
    for row in rows:
        heading = f'<a href="{html.escape(row.url)}">{html.escape(row.name)}</a>'
        if row.acronym:
            heading += f' <span class="acronym">({html.escape(row.acronym)})</span>'
        meta = html.escape(row.kind) + (f" · {html.escape(row.place)}" if row.place else "")
        competences = ""
        if row.competences:
            names = html.escape("; ".join(row.competences))
            competences = f'\n  <p class="competences"><span class="label">{competences_label}</span> {names}</p>'
        updated = timezone.localtime(row.updated)
        day = _long_date(updated.date(), language)
        items.append(
            f'<li class="result">\n  <h3>{heading}</h3>\n  <p class="meta">{meta}</p>{competences}\n'
            f'  <p class="meta small">{html.escape(row.experiences)} · {updated_label} '
            f'<time datetime="{updated.isoformat()}">{day}</time></p>\n</li>'
        )
    return mark_safe("\n".join(items))


# --- Profile -----------------------------------------------------------------------------------------

EXPERIENCE_LABELS = {
    "title": _("Action title"),
    "sectors": _("Sector(s)"),
    "countries": _("Country"),
    "cost": _("Cost of the action (EUR)"),
    "role": _("Role in the action"),
    "donors": _("Donors to the action"),
    "amounts": _("Amount contributed by donor"),
    "dates": _("Dates"),
    "texts": _("Objectives and results of the action"),
    "objectives": _("Objectives"),
    "results": _("Results"),
}


def _field(label, value, css=""):
    return f"<div{css}><dt>{label}</dt><dd>{value}</dd></div>"


def _plain_list(items):
    """Already escaped items as a list without bullets."""
    return '<ul class="plain">' + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _prose(text, sublabel):
    """A long text (Translated) with its line breaks, marked with its language and noted when it fell back."""
    paragraphs = linebreaks(text.text, autoescape=True)
    note = fallback_note(text)
    return f'<div class="prose"{lang_attr(text)}><p class="sublabel">{sublabel}</p>{paragraphs}</div>{note}'


def _experience_fields(row, label):
    escape = html.escape
    heading = f'<h3 id="experience-{row.pk}"{lang_attr(row.title)}>{escape(row.title.text)}</h3>'
    title = heading + fallback_note(row.title)
    fields = [_field(label["title"], title, ' class="field-title"')]
    if row.sectors:
        fields.append(_field(label["sectors"], _plain_list(map(escape, row.sectors))))
    if row.countries:
        fields.append(_field(label["countries"], _plain_list(map(escape, row.countries))))
    if row.cost is not None:
        fields.append(_field(label["cost"], escape(money(row.cost))))
    fields.append(_field(label["role"], escape(row.role)))
    if row.fundings:
        donors = [
            f'<abbr title="{escape(f.name)}">{escape(f.acronym)}</abbr>' if f.acronym and f.name else escape(f.donor)
            for f in row.fundings
        ]
        if len(row.fundings) > 1:
            amounts = [
                gettext("%(donor)s: %(amount)s") % {"donor": escape(f.donor), "amount": escape(money(f.amount))}
                for f in row.fundings
            ]
        else:
            amounts = [escape(money(row.fundings[0].amount))]
        fields.append(_field(label["donors"], _plain_list(donors)))
        fields.append(_field(label["amounts"], _plain_list(amounts)))
    fields.append(_field(label["dates"], escape(daterange(row.start_date, row.end_date))))
    if row.objectives.text or row.results.text:
        texts = [
            _prose(text, label[key])
            for key, text in (("objectives", row.objectives), ("results", row.results))
            if text.text
        ]
        fields.append(_field(label["texts"], "".join(texts), ' class="field-wide"'))
    return fields


@register.simple_tag
def experience_articles(rows):
    """The profile's experiences (views.ExperienceRow), built in Python as result_items builds the search
    results: through template tags they were most of the profile's time. Every text is escaped."""
    label = {key: html.escape(str(text)) for key, text in EXPERIENCE_LABELS.items()}
    articles = [
        f'<article class="experience" aria-labelledby="experience-{row.pk}">\n  <dl class="fields">\n    '
        + "\n    ".join(_experience_fields(row, label))
        + "\n  </dl>\n</article>"
        for row in rows
    ]
    return mark_safe("\n".join(articles))


@register.simple_tag
def page_items(links):
    """The numbered page links (views.search's page_links: number, url, current, label; or a gap), built in
    Python with the result rows they go with."""
    items = []
    for link in links:
        if link.get("gap"):
            items.append('<li><span aria-hidden="true">…</span></li>')
            continue
        url, number = html.escape(link["url"]), link["number"]
        if link["current"]:
            items.append(f'<li><a href="{url}" aria-current="page">{number}</a></li>')
        else:
            items.append(f'<li><a href="{url}" aria-label="{html.escape(link["label"])}">{number}</a></li>')
    return mark_safe("\n      ".join(items))
