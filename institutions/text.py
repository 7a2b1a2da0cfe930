"""Text folding, the one rule for comparing words whatever their accents and capitals: search documents
and queries (institutions/search.py) and the names lists sort by (Organisation.sort_name_<lang>); and the
rule that a form field going into a mail header holds one line (one_line)."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Letters NFKD does not decompose into a base letter plus accents.
_LIGATURES = str.maketrans(
    {
        "œ": "oe",
        "Œ": "oe",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "’": "'",
        "‘": "'",
        # PostgreSQL's text parser takes "<script>" for a markup tag and drops the word: a space keeps it.
        "<": " ",
        ">": " ",
    }
)
_SPACES = re.compile(r"[\s\x00-\x1f\x7f]+")


def fold(text):
    """Lower-case, accent-free, single-spaced text: "Décentralisation" -> "decentralisation"."""
    text = unicodedata.normalize("NFKD", str(text or "").translate(_LIGATURES))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _SPACES.sub(" ", text).strip()


def one_line(value):
    """A form validator: a name or subject goes into a mail's header or first line, so a line break there is
    refused (it could add headers of its own; Django's mail would refuse it later anyway, with a server
    error). Used by the contact and join forms."""
    if "\n" in value or "\r" in value:
        raise ValidationError(_("Write it on one line."), code="line_break")
