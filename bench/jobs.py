"""Times the two figure jobs on the current database, as a worker runs them, and prints JSON:

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=postgres://… python -m bench.jobs

the snapshot job (``snapshot_refresh(force=True)``: build the figures from every published row and
store them) and the chart job (``chart_data_refresh``: read the snapshot, build the chart data and
store it; the chart data of that snapshot is deleted first so that it is really built), each with
its wall time, and the peak resident memory of this process. Run by bench/run.py in a process of
its own; it writes to the benchmark's throw-away database only.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from reports import services
    from reports.models import ChartData

    started = time.perf_counter()
    result = services.snapshot_refresh(force=True)
    snapshot_seconds = time.perf_counter() - started
    snapshot_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if result.snapshot is None:
        print(json.dumps({"error": "nothing is published"}))
        return 1
    ChartData.objects.filter(snapshot=result.snapshot).delete()
    started = time.perf_counter()
    services.chart_data_refresh(snapshot_id=result.snapshot.pk)
    chart_seconds = time.perf_counter() - started
    payload = result.snapshot.payload
    print(
        json.dumps(
            {
                "snapshot_seconds": round(snapshot_seconds, 3),
                "chart_seconds": round(chart_seconds, 3),
                "snapshot_peak_mb": round(snapshot_peak_kb / 1024, 1),
                "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "payload_mb": round(len(json.dumps(payload)) / 1e6, 1),
                "tranches": len(payload["tranches"]),
                "disbursements": sum(i["totals"]["disbursement_count"] for i in payload["instruments"]),
                "disbursements_listed": payload.get("disbursements_listed"),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
