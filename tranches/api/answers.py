"""Answers of the snapshot endpoints (summary, timeseries) kept by each worker.

A snapshot never changes, so what is shown from it is rendered once per worker and request variant
(``rendered``). A GET answered already is also replayed before DRF, without a query, while the
snapshot it showed is still the one its ``as_of`` picks as far as this worker knows (``answers`` and
``pointers``): a pointer is trusted for POINTER_SECONDS (the API lets caches keep an answer for
API_CACHE_MAX_AGE = 60 s) and forgotten at once when this process stores a snapshot. Memory is
bounded (KEPT answers of each kind, a few hundred kB each at most). docs/BENCHMARKS.md measures it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags, quote_etag
from simple_history.signals import post_create_historical_record

from reports.models import FigureSnapshot

KEPT = 64
POINTER_SECONDS = 1.0
REPLAYED_HEADERS = ("Content-Type", "Content-Disposition", "Last-Modified")
NOT_MODIFIED_HEADERS = ("Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Last-Modified", "Vary")
Snapshot = tuple[int, str]  # (pk, content hash); for records (0, their inputs' fingerprint)
RECORDS = "records"  # the pointer of record answers (the others' are named by their as_of text)

_lock = threading.Lock()
_rendered: OrderedDict[tuple[Any, ...], tuple[bytes, dict[str, str]]] = OrderedDict()
_answers: OrderedDict[tuple[Any, ...], tuple[Snapshot, str, bytes, dict[str, str]]] = OrderedDict()
_pointers: dict[str, tuple[float, Snapshot]] = {}  # as_of text -> (trusted until, snapshot)


@receiver(post_save, sender=FigureSnapshot, dispatch_uid="api-forget-snapshot-pointers")
@receiver(post_create_historical_record, dispatch_uid="api-forget-record-pointers")
def forget_snapshot_pointers(**kwargs: Any) -> None:
    """A new snapshot may be the latest, a new history row (a publication) may change the records:
    read the pointers again (other workers within a second)."""
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


def _keep(store: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> None:
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


def answer_keep(key: tuple[Any, ...], snapshot: Snapshot, as_of_text: str, response: HttpResponse) -> None:
    """Keep a finalized 200 answer, with the ETag ConditionalGetMiddleware would compute from its
    body (computed once here, not at each replay)."""
    headers = dict(response.items())
    headers.setdefault("ETag", quote_etag(hashlib.md5(response.content, usedforsecurity=False).hexdigest()))
    _keep(_answers, key, (snapshot, as_of_text, response.content, headers))


def pointer_set(as_of_text: str, snapshot: Snapshot) -> None:
    """The snapshot that ``as_of`` (its text, '' for the latest) picks, just read from the database."""
    with _lock:
        _pointers[as_of_text] = (time.monotonic() + POINTER_SECONDS, snapshot)


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
