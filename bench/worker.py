"""The Celery worker's peak resident memory while it builds the figures at scale.

``worker_peak`` starts a real worker (``celery -A loantracker worker``, the solo pool: the task runs
in the process whose memory is read) on the benchmark's database and Redis, sends it the refresh
job as beat would (``figures_refresh_task(force=True)``, which then queues the chart job), waits for
both job runs to finish (the ``reports_jobrun`` rows), reads the worker's VmHWM and stops it. The
chart data is deleted first so that the chart job really runs. Run by bench/run.py after the HTTP
measurements (it rewrites the figures of the benchmark's throw-away database).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).parent / "celery")


def worker_peak(env: dict[str, str], broker_url: str, sql: Callable[[str], list[tuple[Any, ...]]]) -> dict[str, Any]:
    """{"peak_mb", "rss_mb", "jobs": {job: status}, "seconds"} or {"error": why}."""
    env = {**env, "REDIS_URL": broker_url}
    log = open(Path(tempfile.gettempdir()) / "loantracker-bench-celery.log", "w")  # noqa: SIM115 (closed below)
    args = [CELERY, "-A", "loantracker", "worker", "--pool=solo", "--loglevel=WARNING", "-n", "bench@%h"]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        sql("DELETE FROM reports_chartdata")
        since = sql("SELECT now()")[0][0]
        started = time.perf_counter()
        call = [CELERY, "-A", "loantracker", "call", "reports.tasks.figures_refresh_task"]
        call += ["--kwargs", '{"force": true}']
        subprocess.run(call, cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
        jobs: dict[str, str] = {}
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return {"error": f"the worker exited (log: {log.name})"}
            rows = sql(f"SELECT job, status FROM reports_jobrun WHERE started_at >= '{since.isoformat()}'")  # noqa: S608
            jobs = {str(job): str(status) for job, status in rows}
            if jobs.get("charts_build", "running") != "running" or jobs.get("figures_refresh") == "failed":
                break
            time.sleep(0.5)
        else:
            return {"error": f"no chart job finished within 900 s: {jobs} (log: {log.name})"}
        status = Path(f"/proc/{process.pid}/status").read_text()
        values = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.MULTILINE))
        return {
            "peak_mb": int(values["VmHWM"]) / 1024,
            "rss_mb": int(values["VmRSS"]) / 1024,
            "jobs": jobs,
            "seconds": time.perf_counter() - started,
        }
    finally:
        process.terminate()  # warm shutdown: the jobs are done
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()
