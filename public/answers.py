"""One way out for every public GET answer (the API, the pages, the embeds and the chart CSVs).

An answer is a function of what it shows (its *state*: a release and the exchange rates for the
records, a snapshot or its chart data for the figures) and of the request's *variant* (the view,
path, sorted query string, negotiated media type, host and scheme, and the code that renders it).
So:

- its ETag is a hash of (state, variant), and Last-Modified the time the state changed; Django's
  ``condition`` decorator answers If-None-Match and If-Modified-Since with a 304 after reading the
  state alone (one indexed query, memoised on the request so the view does not read it again);
- a 200's body and headers are kept in Django's cache framework (Redis with CACHE_URL, local memory
  otherwise) under that ETag: a new release or snapshot changes the state, hence the key, and
  every process sees it at once. Nothing is kept in a process, nothing expires on a timer and no
  signal has to forget anything;
- Cache-Control is ``public, max-age=API_CACHE_MAX_AGE`` for answers that follow the latest
  release, and ``max-age=API_SNAPSHOT_MAX_AGE, immutable`` for answers pinned to a release number
  or a snapshot hash.

If the cache fails (Redis down or hung), django-redis ignores the error with a logged warning
(DJANGO_REDIS_IGNORE_EXCEPTIONS) and the answer is computed as if it were not kept.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language
from django.views.decorators.http import condition

logger = logging.getLogger(__name__)

APP_DIR = Path(__file__).resolve().parent
# The code that renders the answers: a deployment that changes it gives every answer a new ETag
# and cache key by itself (pages, templates, serializers, views, charts).
CODE_FINGERPRINT = hashlib.sha256(
    b"".join(
        path.read_bytes()
        for root in (APP_DIR, APP_DIR.parent / "reports")
        for pattern in ("**/*.py", "**/*.html", "**/*.css", "**/*.js")
        for path in sorted(root.glob(pattern))
        if path.is_file() and "migrations" not in path.parts
    )
).hexdigest()[:12]
KEY_PREFIX = "answer"
STATE_ATTRIBUTE = "_answer_state"
# Headers a 200 is kept with; the middleware adds its own (CSP, security, compression) each time.
KEPT_HEADERS = (
    "Content-Type", "Content-Disposition", "Content-Language", "Cache-Control", "Vary", "Allow", "Link",
)  # fmt: skip
MAX_KEPT_BYTES = 8 * 1024 * 1024  # larger bodies (CSV exports) are computed each time


@dataclass(frozen=True)
class State:
    """What an answer shows: ``key`` names it (hashable, stable across processes), ``changed_at``
    is when it last changed (Last-Modified), ``pinned`` says it never changes (a release number
    or a snapshot hash: long, immutable caching)."""

    key: tuple[Any, ...]  # empty: nothing to show yet (answered each time, never kept)
    changed_at: datetime.datetime | None = None
    pinned: bool = False


def state_of(request: HttpRequest, read: Callable[[], State]) -> State:
    """The state of ``request``'s answer: ``read()`` once per request (one query), then memoised."""
    http = getattr(request, "_request", request)  # a DRF Request wraps Django's
    state: State | None = getattr(http, STATE_ATTRIBUTE, None)
    if state is None:
        state = read()
        setattr(http, STATE_ATTRIBUTE, state)
    return state


def variant(request: HttpRequest, view: str) -> tuple[Any, ...]:
    """What makes two requests for the same state the same answer: the view, path, sorted query,
    the media type DRF negotiated from Accept (if any), host and scheme (absolute links in bodies),
    and the language the answer is written in (a page's comes from its path, /uk/…; named here too
    so that no English and Ukrainian answer can ever share an ETag or a kept body)."""
    query = tuple(sorted((name, tuple(values)) for name, values in request.GET.lists()))
    media = getattr(request, "accepted_media_type", None) or ""  # DRF's negotiation; pages have one type
    return (view, request.path, query, str(media), request.get_host(), request.scheme, get_language())


def answer_etag(state: State, shown_as: tuple[Any, ...]) -> str:
    """The ETag (unquoted) of the answer that shows ``state`` to the request variant ``shown_as``."""
    text = repr((CODE_FINGERPRINT, state.key, shown_as)).encode()
    return hashlib.sha256(text).hexdigest()[:32]


def _cache_key(etag: str) -> str:
    return f"{KEY_PREFIX}:{etag}"


def answer_kept(etag: str) -> HttpResponse | None:
    """The 200 kept for ``etag``, or None (never kept, evicted, or the cache is unreachable)."""
    try:
        kept = cache.get(_cache_key(etag))
    except Exception:  # a cache backend that does not ignore its errors itself (django-redis does)
        logger.warning("The answers cache could not be read; answering without it", exc_info=True)
        return None
    if kept is None:
        return None
    content, headers = kept
    response = HttpResponse(content)
    for name, value in headers.items():
        response[name] = value
    return response


def answer_keep(etag: str, response: HttpResponseBase) -> None:
    """Keep a rendered 200 under ``etag`` for ANSWERS_CACHE_SECONDS."""
    content = getattr(response, "content", b"")
    if len(content) > MAX_KEPT_BYTES:
        return
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    try:
        cache.set(_cache_key(etag), (content, headers), timeout=settings.ANSWERS_CACHE_SECONDS)
    except Exception:
        logger.warning("The answers cache could not be written; answering without it", exc_info=True)


def cache_control(response: HttpResponseBase, state: State) -> None:
    """Public caching of a 200, or of the 304 that stands for it (RFC 9110 asks a 304 for the
    headers the 200 would carry): max-age for answers that follow the latest release; long and
    immutable for answers pinned to a release number or a snapshot hash."""
    if response.status_code not in (200, 304) or response.has_header("Cache-Control"):
        return
    if state.pinned:
        patch_cache_control(response, public=True, max_age=settings.API_SNAPSHOT_MAX_AGE, immutable=True)
    else:
        patch_cache_control(response, public=True, max_age=settings.API_CACHE_MAX_AGE)


def answered(view: str, read_state: Callable[..., State]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a GET handler (a page view, or a DRF handler once DRF's ``initial`` has run its
    throttles and content negotiation): ``read_state(request, *args, **kwargs)`` gives the state
    (called once per request); a matching If-None-Match or If-Modified-Since gets a 304 from
    Django's ``condition``; a kept answer is replayed; otherwise the handler answers and its 200
    is kept once rendered."""

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        def current(request: HttpRequest, *args: Any, **kwargs: Any) -> State:
            return state_of(request, lambda: read_state(request, *args, **kwargs))

        def etag_of(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
            return answer_etag(current(request, *args, **kwargs), variant(request, view))

        def changed_at(request: HttpRequest, *args: Any, **kwargs: Any) -> datetime.datetime | None:
            return current(request, *args, **kwargs).changed_at

        @functools.wraps(handler)
        def answering_or_not_modified(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not current(request, *args, **kwargs).key:
                return handler(request, *args, **kwargs)
            response = answering(request, *args, **kwargs)
            if response.status_code == 304:
                cache_control(response, current(request, *args, **kwargs))
            return response

        @condition(etag_func=etag_of, last_modified_func=changed_at)
        def answering(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            state = current(request, *args, **kwargs)
            etag = etag_of(request, *args, **kwargs)
            kept = answer_kept(etag)
            if kept is not None:
                return kept
            response = handler(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                return response
            cache_control(response, state)
            if state.changed_at is not None:  # the same time If-Modified-Since is compared with
                response["Last-Modified"] = http_date(state.changed_at.timestamp())
            if hasattr(response, "add_post_render_callback") and not response.is_rendered:
                response.add_post_render_callback(lambda rendered: answer_keep(etag, rendered))
            else:
                answer_keep(etag, response)
            return response

        return answering_or_not_modified

    return decorator
