"""Text folding, the one rule for comparing words whatever their accents and capitals: search documents
and queries (institutions/search.py) and the names lists sort by (Organisation.sort_name_<lang>)."""

import re
import unicodedata

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
