"""Migrating a database of record-by-record publication to releases: what was public becomes
Release 1, drafts stay drafts, nothing is lost, and every public figure is the same after."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Exists, OuterRef

from reports.figures import figures_build
from tests.migrations import migrate_to, migrate_to_latest
from tranches import selectors
from tranches.models import Component, Disbursement, Instrument, Purpose, Release, Source, Status, Tranche

BN = Decimal(1_000_000_000)
BEFORE = [("tranches", "0004_history_public_indexes"), ("reports", "0002_snapshot_schema_version_from_payload")]
MODELS = {"instrument": Instrument, "component": Component, "tranche": Tranche, "disbursement": Disbursement}
FIELDS = {
    "instrument": ("name", "amount", "period_start", "period_end"),
    "component": ("instrument_id", "name", "amount"),
    "tranche": ("component_id", "name", "purpose", "amount", "stage", "approved_on", "disbursed_on"),
    "disbursement": ("tranche_id", "value_date", "amount_eur"),
}
WHEN = datetime.datetime(2026, 7, 1, 12, tzinfo=datetime.UTC)


def _save(apps: Any, kind: str, status: str, history: list[tuple[str, dict[str, Any]]], **fields: Any) -> Any:
    """A live row as the old code left it, with its history rows (status, changed fields)."""
    model = apps.get_model("tranches", kind)
    row = model.objects.create(status=status, version=len(history), **fields)
    historical = apps.get_model("tranches", f"historical{kind}")
    for n, (version_status, changes) in enumerate(history):
        values = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields} | changes
        historical.objects.create(
            **values | {"status": version_status, "version": n + 1},
            history_date=WHEN + datetime.timedelta(minutes=n),
            history_type="+" if n == 0 else "~",
        )
    return row


def _old_public(apps: Any, name: str) -> dict[int, tuple[Any, ...]]:
    """What the old code showed: the latest published history row of each record."""
    historical = apps.get_model("tranches", f"historical{name}")
    newer = historical.objects.filter(id=OuterRef("id"), status="published", history_id__gt=OuterRef("history_id"))
    rows = historical.objects.filter(status="published").filter(~Exists(newer))
    return {row["id"]: tuple(row[f] for f in FIELDS[name]) for row in rows.values("id", *FIELDS[name])}


@pytest.mark.django_db(transaction=True)
def test_what_was_published_becomes_release_one_and_every_figure_is_the_same(back_to_the_latest_migration):
    # Given a database at the last migration before releases, as the old code left it:
    apps = migrate_to(BEFORE)
    usl = _save(apps, "instrument", "published", [("draft", {}), ("published", {})], name="USL", short_name="USL",
                slug="usl", legal_basis="Reg", amount=90 * BN, period_start=datetime.date(2026, 1, 1),
                period_end=datetime.date(2027, 12, 31))  # fmt: skip
    defence = _save(apps, "component", "published", [("published", {})], instrument=usl, name="Defence",
                    slug="defence", amount=60 * BN)  # fmt: skip
    # a tranche published at €3.9bn, then edited to €5.9bn as a draft not yet published again
    drones = _save(apps, "tranche", "draft", [("published", {}), ("draft", {"amount": Decimal("5900000000.00")})],
                   component=defence, name="Drones", slug="drones", purpose="drones", amount=Decimal("5900000000.00"),
                   stage="disbursed", approved_on=datetime.date(2026, 6, 1),
                   disbursed_on=datetime.date(2026, 6, 30))  # fmt: skip
    apps.get_model("tranches", "historicaltranche").objects.filter(id=drones.pk, status="published").update(
        amount=Decimal("3900000000.00")
    )
    _save(apps, "tranche", "draft", [("draft", {})], component=defence, name="Never published", slug="never",
          purpose="Air defence", amount=BN, stage="planned", planned_on=datetime.date(2026, 5, 1))  # fmt: skip
    _save(apps, "disbursement", "published", [("published", {})], tranche=drones,
          value_date=datetime.date(2026, 6, 30), amount_eur=Decimal("3900000000.00"))  # fmt: skip
    before = {name: _old_public(apps, name) for name in MODELS}
    assert before["tranche"] == {
        drones.pk: (defence.pk, "Drones", "drones", Decimal("3900000000.00"), "disbursed", datetime.date(2026, 6, 1),
                    datetime.date(2026, 6, 30)),
    }  # fmt: skip

    # When the migrations run
    migrate_to([("tranches", "0006_release_one"), ("reports", "0003_snapshot_release")])

    # Then everything that was public is Release 1, field by field, and nothing else is
    release = Release.objects.get()
    assert (release.number, release.published_at) == (1, WHEN + datetime.timedelta(minutes=1))
    for name, model in MODELS.items():
        after = {
            row["id"]: tuple(row[f] for f in FIELDS[name])
            for row in selectors.public_versions(model).values("id", *FIELDS[name])
        }
        assert after == before[name], name
    # drafts stay drafts, with their draft values
    assert Tranche.objects.get(pk=drones.pk).status == Status.DRAFT
    assert Tranche.objects.get(pk=drones.pk).amount == Decimal("5900000000.00")
    assert Tranche.objects.get(name="Never published").status == Status.DRAFT
    # the purposes in use are the list reviewers start from
    assert sorted(Purpose.objects.values_list("name", flat=True)) == ["Air defence", "drones"]
    # and, once every later migration has run too, the figures of Release 1 (built by today's code)
    # show what the public saw: €3.9bn paid of the €60bn defence
    migrate_to_latest()
    payload, as_of = figures_build(release=release)
    (instrument,) = payload["instruments"]
    assert instrument["totals"]["disbursed"] == "3900000000.00"
    assert instrument["components"][0]["totals"]["committed"] == "3900000000.00"
    assert as_of == release.published_at
    assert not Source.objects.exists()
