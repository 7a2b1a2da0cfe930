"""Translated content as a page shows it: in the page's language, else in the other one, flagged so the page
can say so ("Available in French only") and mark the element with its language. Which text is shown is the
one language-fallback rule, directory.criteria.in_language."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .criteria import in_language

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
    """`field` of a modeltranslation model (or any object with field_fr and field_en) in the active
    language, by in_language; an object without them gives its plain `field`."""
    active = (get_language() or settings.LANGUAGE_CODE)[:2]
    texts = {code: getattr(obj, f"{field}_{code}", None) for code in ("fr", "en")}
    text = in_language((texts["fr"], texts["en"]), active)
    if not text:
        return Translated(getattr(obj, field, "") or "", active, False)
    lang = active if texts.get(active) else next(code for code, value in texts.items() if value)
    return Translated(text, lang, lang != active)
