"""Soak test of concurrent editing: N editors, each making M writes through the services at once.

Reports invariant violations (components over their instrument, tranches over their component,
payments over their tranche, a disbursed tranche not fully paid) and lost updates (a save that
returned successfully but whose change is not in the database afterwards). Target: zero of each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loantracker .venv/bin/python -m bench.soak --editors 8 --writes 200

It creates a throw-away database beside the one in DATABASE_URL (``<name>_soak``), migrates it,
runs, prints the report and drops it; it never writes to the real database. A small run of the
same code is part of the test suite (tests/tranches/test_soak.py).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

BN = Decimal(1_000_000_000)
DAY = datetime.date(2026, 6, 30)


@dataclass
class SoakReport:
    editors: int
    writes_per_editor: int
    outcomes: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    lost_updates: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        total = sum(self.outcomes.values())
        return [
            f"editors: {self.editors}, writes each: {self.writes_per_editor}, writes in all: {total}",
            "outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())),
            f"invariant violations: {len(self.violations)}",
            *[f"  {v}" for v in self.violations[:20]],
            f"lost updates: {len(self.lost_updates)}",
            *[f"  {v}" for v in self.lost_updates[:20]],
            f"time: {self.seconds:.1f} s ({total / self.seconds if self.seconds else 0:.0f} writes/s)",
        ]


def invariant_violations(instrument_id: int) -> list[str]:
    """Every rule, checked in SQL on what is stored, independently of the services' code."""
    from django.db.models import Count, F, Q, Sum

    from tranches.models import Component, Disbursement, Instrument, Stage, Tranche

    found: list[str] = []
    instrument = Instrument.objects.get(pk=instrument_id)
    components = Component.objects.filter(instrument=instrument)
    allocated = components.aggregate(s=Sum("amount"))["s"] or 0
    if allocated > instrument.amount:
        found.append(f"components total {allocated} > instrument {instrument.amount}")
    for row in components.annotate(t=Sum("tranches__amount")).filter(t__gt=F("amount")).values("pk", "t", "amount"):
        found.append(f"component {row['pk']}: tranches {row['t']} > {row['amount']}")
    tranches = Tranche.objects.filter(component__instrument=instrument).annotate(
        paid=Sum("disbursements__amount_eur"), payments=Count("disbursements")
    )
    for row in tranches.filter(paid__gt=F("amount")).values("pk", "paid", "amount"):
        found.append(f"tranche {row['pk']}: paid {row['paid']} > {row['amount']}")
    unpaid = tranches.filter(Q(stage=Stage.DISBURSED) & (Q(paid__isnull=True) | ~Q(paid=F("amount"))))
    found.extend(f"tranche {pk}: disbursed but not fully paid" for pk in unpaid.values_list("pk", flat=True))
    if Disbursement.objects.filter(tranche__component__instrument=instrument, amount_eur__lte=0).exists():
        found.append("a payment of zero or less")
    return found


def run_soak(*, editors: int, writes: int, seed: int = 2026) -> SoakReport:
    """Run the soak against the current database (Django must be set up). Each editor is a thread
    with its own connection; they start together and pick writes at random."""
    from django.core.exceptions import ValidationError
    from django.db import connection

    from tranches import services
    from tranches.models import Component, Disbursement, Instrument, Stage, Tranche

    report = SoakReport(editors=editors, writes_per_editor=writes)
    instrument = services.instrument_save(
        instrument=Instrument(
            name=f"Soak instrument {seed}-{time.time_ns()}",
            short_name=f"SOAK{time.time_ns() % 10**9}",
            slug=f"soak-{time.time_ns()}",
            legal_basis="synthetic",
            amount=90 * BN,
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2027, 12, 31),
        )
    )
    components = [
        services.component_save(
            component=Component(instrument=instrument, name=f"C{i}", slug=f"c{i}", amount=amount * BN)
        ).pk
        for i, amount in enumerate((30, 20, 10))
    ]
    shared = services.tranche_save(
        tranche=Tranche(
            component_id=components[0],
            name="Shared",
            slug="shared",
            purpose="shared",
            amount=BN,
            stage=Stage.APPROVED,
            approved_on=DAY,
        )
    ).pk
    confirmed_notes: list[str] = []  # tokens whose save returned successfully
    lock = threading.Lock()
    barrier = threading.Barrier(editors)

    def editor(number: int) -> None:
        rng = random.Random(seed * 1000 + number)  # noqa: S311 - test data, not security
        outcomes: Counter[str] = Counter()
        try:
            barrier.wait()
            for step in range(writes):
                op = rng.choice(("add_tranche", "pay", "resize", "note", "disburse"))
                try:
                    if op == "add_tranche":
                        services.tranche_save(
                            tranche=Tranche(
                                component_id=rng.choice(components),
                                name=f"E{number}-{step}",
                                slug=f"e{number}-{step}",
                                purpose=rng.choice(("drones", "ammunition", "budget")),
                                amount=Decimal(rng.randint(1, 40)) * BN / 4,
                                stage=Stage.APPROVED,
                                approved_on=DAY,
                            )
                        )
                    elif op in ("pay", "resize", "disburse"):
                        tranche_ids = list(
                            Tranche.objects.filter(component__instrument=instrument).values_list("pk", flat=True)
                        )
                        tranche = Tranche.objects.get(pk=rng.choice(tranche_ids))
                        if op == "pay":
                            services.disbursement_save(
                                disbursement=Disbursement(
                                    tranche=tranche, value_date=DAY, amount_eur=Decimal(rng.randint(1, 20)) * BN / 8
                                )
                            )
                        elif op == "resize":
                            tranche.amount = Decimal(rng.randint(1, 40)) * BN / 4
                            services.tranche_save(tranche=tranche)
                        else:
                            tranche.stage, tranche.disbursed_on = Stage.DISBURSED, DAY
                            services.tranche_save(tranche=tranche)
                    else:  # read-modify-write of one shared record: the lost-update test
                        token = f"[{number}:{step}]"
                        tranche = Tranche.objects.get(pk=shared)
                        tranche.notes += token
                        services.tranche_save(tranche=tranche)
                        with lock:
                            confirmed_notes.append(token)
                    outcomes[f"{op} saved"] += 1
                except ValidationError as exc:
                    stale = any("changed by someone else" in m for m in exc.messages)
                    outcomes[f"{op} refused{' (stale, reload)' if stale else ''}"] += 1
        finally:
            connection.close()
            with lock:
                report.outcomes.update(outcomes)

    started = time.perf_counter()
    threads = [threading.Thread(target=editor, args=(n,)) for n in range(editors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.seconds = time.perf_counter() - started
    report.violations = invariant_violations(instrument.pk)
    final_notes = Tranche.objects.get(pk=shared).notes
    report.lost_updates = [token for token in confirmed_notes if token not in final_notes]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--editors", type=int, default=8)
    parser.add_argument("--writes", type=int, default=200, help="writes per editor")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loantracker.settings.local")
    import django
    from django.conf import settings

    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        print("The soak needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    real_name = settings.DATABASES["default"]["NAME"]
    soak_name = f"{real_name}_soak"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{soak_name}"')
        cursor.execute(f'CREATE DATABASE "{soak_name}"')
    connection.close()
    settings.DATABASES["default"]["NAME"] = soak_name
    try:
        print(f"Migrating the throw-away database {soak_name}…", flush=True)
        call_command("migrate", verbosity=0)
        print(f"Running {args.editors} editors × {args.writes} writes…", flush=True)
        report = run_soak(editors=args.editors, writes=args.writes, seed=args.seed)
        print("\n".join(report.lines()))
    finally:
        connection.close()
        settings.DATABASES["default"]["NAME"] = real_name
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{soak_name}"')
    return 1 if report.violations or report.lost_updates else 0


if __name__ == "__main__":
    sys.exit(main())
