"""Hypothesis strategies shared by the fuzz tests: the kind of input a crawler, a careless paste or an
attacker sends. Surrogate code points are left out: they cannot be encoded as UTF-8, so no HTTP client can
send them (the test client refuses them before the request is made)."""

from contextlib import contextmanager
from urllib.parse import urlencode

from django.core import mail
from django.core.cache import cache
from django.db import transaction
from hypothesis import strategies as st

# Every character UTF-8 can carry, NUL and control characters included.
CHARACTERS = st.characters(exclude_categories=("Cs",))

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "%",
    "_",
    "\\",
    "%%",
    "'",
    '"',
    "'; DROP TABLE institutions_organisation; --",
    "' OR '1'='1",
    "1; SELECT pg_sleep(10)",
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "{{ 7*7 }}",
    "{% debug %}",
    "${7*7}",
    "../../etc/passwd",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "-1",
    "0",
    "00",
    "1.5",
    "2147483648",
    "9" * 30,
    "9" * 5000,
    "０１２",  # full-width digits: str.isdigit() is True for them
    "٣",  # Arabic-Indic digit
    "²",  # superscript: isdigit() True, int() fails
    "FR",
    "fr",
    "XX",
    "14030",
    "140",
    "1403",
    "coordinator",
    "aimf",  # a slug (partner_of)
    "k" * 121,  # one character longer than a slug may be
    "relevance",
    "-experiences",
    "2010",
    "1899",
    "2101",
    "&",
    "=",
    "?",
    "#",
    "+",
    "a" * 10_000,
    "é" * 3000,
    "😀" * 100,
    "ﷺ",
    "İ",  # lower-cases to two characters
    "\u202e",  # right-to-left override
    "\ufeff",
    "\r\n",
    "\t",
]

text = st.text(CHARACTERS, max_size=300)
long_text = st.builds(lambda s, n: s * n, st.text(CHARACTERS, min_size=1, max_size=5), st.integers(1, 3000))
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30), st.floats(allow_nan=True, allow_infinity=True)
).map(str)

value = st.one_of(st.sampled_from(NASTY), text, long_text, numbers)
values = st.one_of(value, st.lists(value, min_size=0, max_size=5))  # repeated parameters


def parameters(known):
    """A query: known parameter names (each possibly repeated) and unknown ones."""
    names = st.one_of(st.sampled_from(known), text)
    return st.dictionaries(names, values, max_size=6)


def changed(base):
    """The valid form data `base` with some fields replaced by arbitrary values or removed (None), and
    unknown fields added."""
    changes = st.dictionaries(st.one_of(st.sampled_from(sorted(base)), text), st.one_of(values, st.none()), max_size=6)
    return changes.map(lambda c: {k: v for k, v in {**base, **c}.items() if v is not None})


def post(client, url, data):
    """Posted as a browser posts a form; the whole answer is read."""
    response = client.post(url, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded")
    response.content  # noqa: B018
    assert response.status_code < 500, response.status_code
    return response


@contextmanager
def fresh():
    """One example of a form's fuzz test: its own transaction (rolled back), outbox and cache (the rate-limit
    counters)."""
    mail.outbox = []
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
