"""Answers kept by each web process, and replayed: the public API (public.api.views) and the
public pages (public.views).

What an answer shows never changes: a snapshot, one state of the published records, one build of
the chart data. So a GET answered already is replayed without a query while what it showed is still
current as far as this process knows (``answers`` and ``pointers``): a pointer names what is current
for a kind of answer (the snapshot an ``as_of`` picks, the records' fingerprint, a page's chart
data); it is trusted for POINTER_SECONDS (responses may be cached for API_CACHE_MAX_AGE = 60 s
anyway) and forgotten at once when this process stores a snapshot, chart data or a history row.
What is shown from a snapshot is also rendered once per request variant (``rendered``). Memory is
bounded: KEPT answers of each kind, a few hundred kB each at most. docs/BENCHMARKS.md measures it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags, quote_etag
from simple_history.signals import post_create_historical_record

from reports.models import ChartData, FigureSnapshot
from tranches.signals import release_published

KEPT = 64
POINTER_SECONDS = 1.0
REPLAYED_HEADERS = ("Content-Type", "Content-Disposition", "Last-Modified")
NOT_MODIFIED_HEADERS = ("Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Last-Modified", "Vary")
# What an answer shows: a snapshot's (pk, content hash); the records' (0, inputs' fingerprint); a
# page's (chart data pk, build time).
Snapshot = tuple[Any, ...]
RECORDS = "records"  # the pointer of record answers (pages': "page:<hash>"; snapshots': their as_of text)

_lock = threading.Lock()
_rendered: OrderedDict[tuple[Any, ...], tuple[bytes, dict[str, str]]] = OrderedDict()
_answers: OrderedDict[tuple[Any, ...], tuple[Snapshot, str, bytes, dict[str, str]]] = OrderedDict()
_pointers: OrderedDict[str, tuple[float, Snapshot]] = OrderedDict()  # name -> (trusted until, what is current)


@receiver(post_save, sender=FigureSnapshot, dispatch_uid="answers-forget-snapshot")
@receiver(post_save, sender=ChartData, dispatch_uid="answers-forget-chart-data")
@receiver(post_delete, sender=ChartData, dispatch_uid="answers-forget-chart-data-deleted")
@receiver(post_create_historical_record, dispatch_uid="answers-forget-history")
@receiver(release_published, dispatch_uid="answers-forget-release")
def forget_pointers(**kwargs: Any) -> None:
    """A new snapshot or chart data may be the latest, a release (after it commits; a history row
    before) changes the records: read the pointers again (other processes within POINTER_SECONDS)."""
    with _lock:
        _pointers.clear()


def answers_forget() -> None:
    """Forget every answer, rendering and pointer of this process (tests start with none)."""
    with _lock:
        _rendered.clear()
        _answers.clear()
        _pointers.clear()


def _response(content: bytes, headers: dict[str, str], kind: type[HttpResponse] = HttpResponse) -> HttpResponse:
    response = kind(content) if kind is HttpResponse else kind()
    for name, value in headers.items():
        response[name] = value
    return response


def _keep(store: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    with _lock:
        store[key] = value
        store.move_to_end(key)
        while len(store) > KEPT:
            store.popitem(last=False)


def answer_key(request: HttpRequest, view: str) -> tuple[Any, ...]:
    """What makes two GETs the same answer: the view, path and query, Accept, host and scheme."""
    return (view, request.get_full_path(), request.META.get("HTTP_ACCEPT", ""), request.get_host(), request.scheme)


def answer_replay(request: HttpRequest, key: tuple[Any, ...]) -> HttpResponse | None:
    """The finalized answer kept for ``key`` if the snapshot it shows is still trusted, else None;
    a 304 without a body when the request's If-None-Match has its ETag."""
    with _lock:
        answer = _answers.get(key)
        pointer = _pointers.get(answer[1]) if answer is not None else None
    if answer is None or pointer is None or pointer[0] <= time.monotonic() or pointer[1] != answer[0]:
        return None
    headers = answer[3]
    if headers["ETag"] in parse_etags(request.META.get("HTTP_IF_NONE_MATCH", "")):
        # The headers Django's conditional GET copies onto a 304 (django.utils.cache._not_modified).
        kept = {name: headers[name] for name in NOT_MODIFIED_HEADERS if name in headers}
        return _response(b"", kept, HttpResponseNotModified)
    return _response(answer[2], headers)


def answer_replay_checked(
    request: HttpRequest, key: tuple[Any, ...], pointer: str, current: Callable[[], Snapshot | None]
) -> HttpResponse | None:
    """``answer_replay``; when nothing is trusted, ``current()`` reads what ``pointer`` names now
    (a cheap query), which is then trusted for POINTER_SECONDS, and the answer is replayed if it
    still shows that. ``current()`` returning None (nothing to show yet) replays nothing."""
    replayed = answer_replay(request, key)
    if replayed is None and (shown := current()) is not None:
        pointer_set(pointer, shown)
        replayed = answer_replay(request, key)
    return replayed


def answer_keep(key: tuple[Any, ...], snapshot: Snapshot, pointer: str, response: HttpResponse) -> None:
    """Keep a finalized 200 answer that shows ``snapshot`` (current while the pointer ``pointer``
    names it), with the ETag ConditionalGetMiddleware would compute from its body if it has none
    (computed once here, not at each replay)."""
    headers = dict(response.items())
    headers.setdefault("ETag", quote_etag(hashlib.md5(response.content, usedforsecurity=False).hexdigest()))
    _keep(_answers, key, (snapshot, pointer, response.content, headers))


def pointer_set(name: str, snapshot: Snapshot) -> None:
    """What is current for the answers of pointer ``name``, just read from the database."""
    _keep(_pointers, name, (time.monotonic() + POINTER_SECONDS, snapshot))


def rendered_get(key: tuple[Any, ...]) -> HttpResponse | None:
    """The body and headers rendered before for ``key`` (a snapshot and request variant), or None."""
    with _lock:
        cached = _rendered.get(key)
        if cached is not None:
            _rendered.move_to_end(key)
    return None if cached is None else _response(*cached)


def rendered_keep(key: tuple[Any, ...], response: HttpResponse) -> None:
    headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
    _keep(_rendered, key, (response.content, headers))
