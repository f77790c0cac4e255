"""What a run of the benchmark measured (bench/run.py fills it) and the tables it prints: markdown,
each target with PASS or MISS, ready for docs/BENCHMARKS.md (``--markdown FILE``)."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    target: float | None = None  # least ratio to the floor, or None (reported only)
    headers: tuple[str, ...] = ()
    expect: int = 200
    fresh: bool = False  # every request a new query string: never an answer kept by a worker


@dataclass
class Measured:
    name: str
    path: str
    status: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    bad: int = 0  # non-2xx/3xx responses and socket errors
    ratio: float | None = None
    ratios: list[float] = field(default_factory=list)  # one per round; ``ratio`` is their median
    target: float | None = None
    met: bool | None = None


@dataclass
class Report:
    machine: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    jobs: dict[str, Any] = field(default_factory=dict)
    endpoints: list[Measured] = field(default_factory=list)
    floor_runs: list[float] = field(default_factory=list)
    csv_seconds: list[float] = field(default_factory=list)
    csv_rows: int = 0
    workers_mb: list[dict[str, float]] = field(default_factory=list)
    nginx: list[Measured] = field(default_factory=list)  # hot reads through nginx, ratio to its static file
    nginx_skipped: str = ""  # why the nginx part did not run
    cold_ms: list[float] = field(default_factory=list)  # cold cursor pages of 100 payments, over HTTP
    inprocess: dict[str, Any] = field(default_factory=dict)  # bench/queries.py: queries, SQL vs the rest
    celery: dict[str, Any] = field(default_factory=dict)  # bench/worker.py: the worker's peak memory


def _status(code: int) -> str:
    return "" if code in (200, 304) else f" (HTTP {code})"


def _mark(ok: bool | None) -> str:
    return {True: "PASS", False: "MISS", None: ""}[ok]


def _table(rows: list[Measured], of: str) -> list[str]:
    head = (
        f"| {'endpoint':<60} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} | {of:>9} | {'rounds':>9} "
        f"| {'target':>7} | met |"
    )
    lines = [head, "|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|"]
    for r in rows:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "—"
        spread = f"{min(r.ratios):.2f}–{max(r.ratios):.2f}" if r.ratios else ""
        target = f"≥ {r.target:.2f}" if r.target is not None else ""
        status = "" if r.status in (200, 304) else f" (HTTP {r.status})"
        bad = f" ({r.bad} bad)" if r.bad else ""
        lines.append(
            f"| {r.name + status + bad:<60} | {r.rps:>7,.0f} | {r.p50_ms:>7.1f} | {r.p99_ms:>7.1f} | {ratio:>9} | "
            f"{spread:>9} | {target:>7} | {_mark(r.met):<4} |"
        )
    return lines


def report_lines(report: Report) -> list[str]:
    """The results as markdown (printed, and written to ``--markdown``): each target with PASS/MISS."""
    m = report.machine
    runs = report.floor_runs or [0.0]
    out = [
        f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, tree of {m.get('tree')}. Machine: "
        f"{m['cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM; PostgreSQL {m['postgresql']}, Redis {m['redis']}, "
        f"Python {m['python']}, {m['wrk']}, {m.get('nginx')}; load average before {m['load_average_before']}, "
        f"after {m.get('load_average_after')}. Data: {report.data}.",
        "",
        f"**The application alone** (gunicorn): floor runs {min(runs):,.0f}–{max(runs):,.0f} req/s; each ratio "
        "is to the floor runs just before and after it, × floor the median of the rounds.",
        "",
        *_table(report.endpoints, "× floor"),
        "",
    ]
    if report.nginx_skipped:
        out += [f"**Through nginx**: skipped ({report.nginx_skipped}).", ""]
    else:
        out += [
            "**Through nginx** (docs/DEPLOY.md's configuration: proxy cache, gzip; `Accept-Encoding: gzip`), "
            "as a ratio of nginx serving a static file of the same bytes (X-Cache-Status of the answer in brackets):",
            "",
            *_table(report.nginx, "× static"),
            "",
        ]
    nan = float("nan")
    cold = statistics.median(report.cold_ms) if report.cold_ms else nan
    ip = report.inprocess
    queries = ip.get("queries", {})
    constant = {name: len({str(n) for n in counts.values()}) == 1 for name, counts in queries.items()}
    jobs = report.jobs
    csv_median = statistics.median(report.csv_seconds) if report.csv_seconds else nan
    peak = max((w["peak_mb"] for w in report.workers_mb), default=nan)
    workers = ", ".join(f"{w['peak_mb']:.0f} MB" for w in report.workers_mb)
    celery_peak = report.celery.get("peak_mb", nan)
    cold_split = (
        f"in-process median {ip['cold_median_ms']:.1f} ms, of which SQL {ip['cold_median_sql_ms']:.1f} ms "
        f"({statistics.median(c['queries'] for c in ip['cold']):.0f} queries)"
        if ip.get("cold")
        else "in-process split not measured"
    )
    if ip.get("hot"):
        out += [
            "In-process, the application alone (Django's test client, bench/queries.py; mean of "
            "50 requests after the first): where a hot read's time goes.",
            "",
            "| request | ms | of which SQL ms | of which cache ms | queries |",
            "| --- | ---: | ---: | ---: | ---: |",
            *(
                f"| {name}{_status(h['status'])} | {h['ms']:.2f} | {h['sql_ms']:.2f} | {h.get('cache_ms', 0):.2f} | "
                f"{h['queries']:.1f} |"
                for name, h in ip["hot"].items()
            ),
            "",
        ]
    out += [
        "| | result | target | met |",
        "| --- | ---: | --- | --- |",
        f"| cold list page of 100 payments, {len(report.cold_ms)} cursor pages never asked, cache emptied before "
        f"each (HTTP, time to last byte; {cold_split}) | median {cold:.1f} ms, max "
        f"{max(report.cold_ms, default=nan):.1f} ms | ≤ 20 ms | {_mark(cold <= 20)} |",
    ]
    for name, counts in queries.items():
        shown = " / ".join(f"{counts[s]}" for s in sorted(counts, key=int))
        out.append(f"| queries per request, `/api/v1/{name}/` at page size 10 / 100 / 500 | {shown} | equal | "
                   f"{_mark(constant[name])} |")  # fmt: skip
    if report.celery.get("error") or not report.celery:
        why = report.celery.get("error", "not measured")
        out.append(f"| Celery worker, peak resident memory | {why} | < 150 MB | |")
    else:
        out.append(
            f"| Celery worker (solo pool) building the figures and charts, peak resident memory "
            f"({report.celery['seconds']:.1f} s, {report.celery['jobs']}) | {celery_peak:.0f} MB | < 150 MB | "
            f"{_mark(celery_peak < 150)} |"
        )
    out += [
        f"| job process (bench/jobs.py: the snapshot and chart jobs in one process), peak resident memory | "
        f"{jobs['peak_mb']:.0f} MB | < 150 MB | {_mark(jobs['peak_mb'] < 150)} |",
        f"| gunicorn workers, peak resident memory | {workers} | < 150 MB | {_mark(peak < 150)} |",
        f"| snapshot job, {jobs['disbursements']:,} disbursements | {jobs['snapshot_seconds']:.2f} s | < 5 s | "
        f"{_mark(jobs['snapshot_seconds'] < 5)} |",
        f"| chart job | {jobs['chart_seconds']:.2f} s | < 1 s | {_mark(jobs['chart_seconds'] < 1)} |",
        f"| CSV export of {report.csv_rows:,} rows, alone | median {csv_median:.2f} s, max "
        f"{max(report.csv_seconds, default=nan):.2f} s | < 1 s | {_mark(csv_median < 1)} |",
    ]
    return out
