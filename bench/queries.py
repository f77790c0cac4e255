"""What a list page costs inside the application, in a process of its own, and prints JSON:

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=postgres://… CACHE_URL=redis://… python -m bench.queries

- queries per request of each list resource at page sizes 10, 100 and 500 (Django's cache cleared
  before each request, so the answer is built, not replayed): they must not depend on the size;
- cold pages of 100 disbursements (cursor pages never asked before, the cache cleared before each):
  the time of the whole request in-process (Django's test client, the same middleware as gunicorn)
  and the part of it spent in SQL (a ``connection.execute_wrapper`` around every query), so that a
  miss of the cold-page target says where the time goes.

Run by bench/run.py beside the HTTP measurements; it only reads the benchmark's database (and clears
the benchmark's cache).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

LISTS = ("instruments", "components", "tranches", "disbursements", "sources", "citations", "changes", "releases")
PAGE_SIZES = (10, 100, 500)
HOT = (
    ("floor", "/bench/floor/"),
    ("summary", "/api/v1/summary/"),
    ("dashboard /", "/"),
    ("embed /embed/stages/", "/embed/stages/"),
    ("304 summary", "/api/v1/summary/"),
    ("304 dashboard", "/"),
)
HOT_REPEATS = 50
# Cursor walks over the million payments: the default order and its reverse (each page a new URL).
COLD_STARTS = ("/api/v1/disbursements/?page_size=100", "/api/v1/disbursements/?page_size=100&ordering=-value_date")


def walk(
    fetch: Callable[[str], tuple[int, bytes]], starts: tuple[str, ...], pages: int, skip: int = 0
) -> Iterator[str]:
    """Paths of ``pages`` cursor pages per start, after ``skip`` pages (fetched, not yielded): each
    page is fetched by ``fetch`` (which the caller times) and followed to its ``next``. Yields each
    path after fetching it."""
    for start in starts:
        path: str | None = start
        for index in range(skip + pages):
            if path is None:
                break
            status, body = fetch(path)
            if status != 200:
                break
            if index >= skip:
                yield path
            following = json.loads(body).get("next")
            path = None if not following else "/" + following.split("/", 3)[3]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.cache import cache, caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    skip = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    result: dict[str, Any] = {"queries": {}, "cold": [], "hot": {}}

    for name in LISTS:  # warm the process (imports, the URL resolver, connections) on each resource
        client.get(f"/api/v1/{name}/?page_size=1")
    for name in LISTS:
        counts: dict[str, Any] = {}
        for size in PAGE_SIZES:
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(f"/api/v1/{name}/?page_size={size}")
            counts[str(size)] = len(captured) if response.status_code == 200 else f"HTTP {response.status_code}"
        result["queries"][name] = counts

    sql_seconds = [0.0]

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds[0] += time.perf_counter() - started

    measured: list[dict[str, Any]] = []
    cache_seconds = [0.0]
    backend = caches["default"]
    for method in ("get", "get_many", "set", "set_many", "add", "delete", "touch", "has_key"):
        original = getattr(backend, method)

        def timed_cache(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                cache_seconds[0] += time.perf_counter() - started

        setattr(backend, method, timed_cache)  # this process's cache object only: the time spent in the cache

    def fetch(path: str) -> tuple[int, bytes]:
        cache.clear()
        sql_seconds[0] = 0.0
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
            started = time.perf_counter()
            response = client.get(path)
            body = response.content
            total = time.perf_counter() - started
        measured.append({"path": path, "ms": total * 1000, "sql_ms": sql_seconds[0] * 1000, "queries": len(captured)})
        return response.status_code, body

    # Hot reads as the application alone answers them, in-process: per request, the time, the part in
    # SQL and the queries (the mean of HOT_REPEATS after one request that fills the cache).
    for name, path in HOT:
        first = client.get(path)
        headers = {"If-None-Match": first.get("ETag", "")} if name.startswith("304") else {}
        runs = []
        for _ in range(HOT_REPEATS):
            sql_seconds[0] = cache_seconds[0] = 0.0
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                total = time.perf_counter() - started
            runs.append(
                (total * 1000, sql_seconds[0] * 1000, len(captured), response.status_code, cache_seconds[0] * 1000)
            )
        result["hot"][name] = {
            "ms": statistics.mean(r[0] for r in runs),
            "sql_ms": statistics.mean(r[1] for r in runs),
            "queries": statistics.mean(r[2] for r in runs),
            "status": runs[-1][3],
            "cache_ms": statistics.mean(r[4] for r in runs),
            "sql": [q["sql"][:300] for q in captured.captured_queries],
        }

    kept = set(walk(fetch, COLD_STARTS, pages, skip))
    result["cold"] = [m for m in measured if m["path"] in kept]
    if result["cold"]:
        result["cold_median_ms"] = statistics.median(m["ms"] for m in result["cold"])
        result["cold_median_sql_ms"] = statistics.median(m["sql_ms"] for m in result["cold"])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
