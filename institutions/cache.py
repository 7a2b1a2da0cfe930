"""Full-page cache for anonymous visitors of the public directory, invalidated the moment data changes.

How it stays correct:

- One "directory generation" number lives in the "state" cache, which every app process sees (Redis when
  CACHE_URL is set, else a file-based cache shared by the processes of one machine). Every cached page is
  stored under a key that includes it, so a page cached by any process is stale as soon as any process
  changes data.
- Any change to data shown on public pages (organisations, competences, experiences, their countries,
  sectors and fundings, donors, sectors) bumps the generation, through model signals. Pages stored under
  the old number are never read again and simply expire: no need to know which pages showed what.
- The bump happens at once (so the process that made the change never sees an old page, even inside a
  transaction) and again when the transaction commits (so a page another request rendered from the
  not-yet-committed data under the new number is dropped too).
- Changes that bypass signals (QuerySet.update(), bulk_create(): imports, generate_directory) must call
  bump_generation() themselves.

Who gets cached pages: only requests with no session cookie and no messages cookie (so no logged-in user,
no pending "saved" message), GET or HEAD. What is stored: only plain 200 responses that set no cookie and
used no CSRF token (a token is per visitor; a page embedding one must not be shared).
"""

import hashlib
import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import translation

GENERATION_KEY = "directory:generation"
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage


def generation():
    """The current directory generation, created on first use."""
    state = caches["state"]
    value = state.get(GENERATION_KEY)
    if value is None:
        # Missing (first use, cache flushed or key evicted): start from the clock rather than from 1, so a
        # number that old pages may still be stored under is never reused. add() lets concurrent processes
        # agree on one value.
        state.add(GENERATION_KEY, time.time_ns() // 1000, timeout=None)
        value = state.get(GENERATION_KEY)
    return value


def bump_generation(**_signal_kwargs):
    """Make every cached public page stale. Usable as a signal receiver."""
    _bump()
    transaction.on_commit(_bump)


def _bump():
    try:
        caches["state"].incr(GENERATION_KEY)  # atomic on Redis, so two app servers never lose a bump
    except ValueError:  # no current generation: a fresh one is just as good
        generation()


def page_key(request):
    """(generation, language, scheme, host, path, query with keys and values sorted): the same search
    written in another order is the same entry; another language or query is another entry."""
    query = urlencode(sorted((k, v) for k, values in request.GET.lists() for v in values))
    raw = "|".join(
        [translation.get_language() or "", request.scheme, request.get_host(), request.path, query]
    )
    return f"directory:page:{generation()}:{hashlib.sha256(raw.encode()).hexdigest()}"


def _anonymous_without_state(request):
    # Sessions are the only way to log in here, so no session cookie means an anonymous visitor; checking
    # the cookie (not request.user) also avoids loading a session for every cached hit.
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and MESSAGES_COOKIE not in request.COOKIES
    )


def _storable(request, response):
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not request.META.get("CSRF_COOKIE_USED")
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
        and not getattr(getattr(request, "session", None), "modified", False)
    )


def cache_public_page(timeout=None):
    """View decorator: serve and store whole pages for anonymous visitors (see the module docstring).
    Off when settings.PUBLIC_PAGE_CACHE is false. timeout defaults to PUBLIC_PAGE_CACHE_TIMEOUT."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not settings.PUBLIC_PAGE_CACHE or not _anonymous_without_state(request):
                return view(request, *args, **kwargs)
            key = page_key(request)
            response = cache.get(key)
            if response is not None:
                return response
            response = view(request, *args, **kwargs)
            if _storable(request, response):
                if hasattr(response, "render") and callable(response.render):
                    response.render()  # TemplateResponse: store the HTML, not the recipe
                cache.set(key, response, settings.PUBLIC_PAGE_CACHE_TIMEOUT if timeout is None else timeout)
            return response

        return wrapped

    return decorator


def connect_signals():
    """Called from InstitutionsConfig.ready(): every model whose data a public page shows."""
    from experiences.models import Donor, Experience, ExperienceCountry, Funding

    from .models import Competence, Organisation, Sector, SectorCategory

    for model in (
        Organisation,
        Competence,
        Experience,
        ExperienceCountry,
        Funding,
        Donor,
        Sector,
        SectorCategory,
    ):
        post_save.connect(
            bump_generation, sender=model, dispatch_uid=f"directory-cache-save-{model.__name__}"
        )
        post_delete.connect(
            bump_generation, sender=model, dispatch_uid=f"directory-cache-delete-{model.__name__}"
        )
    m2m_changed.connect(
        bump_generation, sender=Experience.sectors.through, dispatch_uid="directory-cache-m2m"
    )
