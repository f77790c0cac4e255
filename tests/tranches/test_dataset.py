"""The versioned initial dataset: it seeds an empty database as Release 1, never overwrites a
database with data, and bad files are refused with nothing written."""

import tomllib
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.releases import released
from tranches import selectors, services
from tranches.dataset import DatasetError, dataset_load
from tranches.models import PUBLISHABLE_MODELS, Citation, Component, Instrument, Release, Status, Tranche

pytestmark = pytest.mark.django_db
BN = Decimal(1_000_000_000)
DATASET = Path(settings.DATASET_PATH)
FILE = tomllib.loads(DATASET.read_text(encoding="utf-8"))


def history_rows() -> int:
    return sum(model.history.count() for model in PUBLISHABLE_MODELS)


def record_rows() -> int:
    return sum(model.objects.count() for model in PUBLISHABLE_MODELS)


@pytest.fixture
def loaded():
    dataset_load(path=DATASET)


def edited_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = DATASET.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in the dataset"
    path = tmp_path / "dataset.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_seeded_loan_is_90bn_split_60_defence_30_budget_support(loaded):
    usl = Instrument.objects.get(short_name="USL")
    assert usl.amount == 90 * BN
    assert dict(usl.components.values_list("name", "amount")) == {"Defence": 60 * BN, "Budget support": 30 * BN}
    assert usl.legal_basis_url == "http://data.europa.eu/eli/reg/2026/467/oj"


def test_the_seeded_public_totals_count_the_two_june_payments_and_no_other_instrument(loaded):
    totals = selectors.instrument_totals(instrument=Instrument.objects.get(short_name="USL"), public=True)
    assert totals.disbursed == Decimal("3900000000.00") + Decimal("3200000000.00")
    assert totals.remaining == Decimal("82900000000.00")
    assert totals.percent_disbursed == Decimal("7.9")
    defence = Component.objects.get(instrument__short_name="USL", name="Defence")
    assert selectors.component_totals(component=defence, public=True).disbursed == Decimal("3900000000.00")


def test_the_drone_payment_carries_its_source_the_quote_and_the_reported_dollars(loaded):
    drones = Tranche.objects.get(purpose="drones")
    payment = drones.disbursements.get()
    assert (payment.amount_eur, payment.reported_amount, payment.reported_currency) == (
        Decimal("3900000000.00"),
        Decimal("4400000000.00"),
        "USD",
    )
    used = drones.citations.get(figure="amount", is_used=True)
    assert "3.9 billion euros ($4.4 billion)" in used.quote
    assert used.source.grade == "B"


def test_the_conflicting_june_claim_is_kept_beside_the_used_one(loaded):
    claims = Citation.objects.filter(tranche__purpose="drones", figure="amount").order_by("claimed_amount")
    assert [(c.claimed_amount, c.is_used) for c in claims] == [
        (Decimal("3900000000.00"), True),
        (Decimal("5900000000.00"), False),
    ]


def test_every_seeded_figure_is_published_and_every_tranche_is_cited(loaded):
    for model in PUBLISHABLE_MODELS:
        assert not model.objects.exclude(status=Status.PUBLISHED).exists(), model
    assert not Tranche.objects.filter(citations=None).exists()


def test_a_second_run_changes_nothing(loaded):
    rows, history = record_rows(), history_rows()
    report = dataset_load(path=DATASET)
    assert (record_rows(), history_rows()) == (rows, history)
    assert sum(report.created.values()) + sum(report.updated.values()) + report.published == 0


def test_the_file_seeds_an_empty_database_as_release_one(loaded):
    release = Release.objects.get()
    assert (release.number, release.published_by) == (1, None)
    assert release.note == FILE["note"]
    assert selectors.public_versions(Tranche).count() == Tranche.objects.count() == len(FILE["tranches"])


def test_an_edited_file_only_reports_its_differences_on_a_database_with_data(loaded, tmp_path):
    # Given a database seeded from the file, and an edited file
    path = edited_copy(tmp_path, 'purpose = "drones"', 'purpose = "drones and air defence"')
    rows, history = record_rows(), history_rows()
    # When it is loaded again
    report = dataset_load(path=path)
    # Then nothing is written, and the report names what differs
    assert (record_rows(), history_rows(), Release.objects.count()) == (rows, history, 1)
    assert report.updated == {"tranches": 1}
    assert report.differences == ["tranches key 'usl-defence-drones-1': purpose"]
    assert "nothing was written" in report.summary()
    assert Tranche.objects.get(dataset_key="usl-defence-drones-1").purpose == "drones"


def test_with_drafts_the_differences_become_drafts_for_a_reviewer(loaded, tmp_path):
    path = edited_copy(tmp_path, 'purpose = "drones"', 'purpose = "drones and air defence"')
    report = dataset_load(path=path, drafts=True)
    tranche = Tranche.objects.get(dataset_key="usl-defence-drones-1")
    assert (tranche.purpose, tranche.status) == ("drones and air defence", Status.DRAFT)
    assert selectors.public_versions(Tranche).get(id=tranche.pk).purpose == "drones"
    assert Release.objects.count() == 1
    assert "Saved as drafts" in report.summary()


def test_a_value_dropped_from_the_file_is_cleared_in_the_draft(loaded, tmp_path):
    # Given the budget support tranche, published with the date it was planned
    tranche = Tranche.objects.get(dataset_key="usl-budget-2026-06")
    assert tranche.planned_on is not None
    # When a file without that date is loaded as drafts
    path = edited_copy(tmp_path, "planned_on = 2026-06-01\ndisbursed_on = 2026-06-25", "disbursed_on = 2026-06-25")
    report = dataset_load(path=path, drafts=True)
    # Then the draft has no date planned (the file is the truth for what it names), the public keeps it
    assert report.differences == ["tranches key 'usl-budget-2026-06': planned_on"]
    tranche.refresh_from_db()
    assert (tranche.planned_on, tranche.status) == (None, Status.DRAFT)
    assert selectors.public_versions(Tranche).get(id=tranche.pk).planned_on is not None


def test_a_restart_leaves_a_reviewed_edit_in_place(loaded, reviewer):
    # Given a reviewer who corrected a record that came from the file and released it
    tranche = Tranche.objects.get(dataset_key="usl-defence-drones-1")
    tranche.notes = "Corrected by the newsroom"
    services.tranche_save(tranche=tranche, user=reviewer)
    released(tranche, user=reviewer, note="Correct the drones note")
    # When `make run` starts again (it runs load_dataset)
    call_command("load_dataset", stdout=StringIO())
    # Then the reviewed edit is still the published one, and no release was made
    assert selectors.public_versions(Tranche).get(id=tranche.pk).notes == "Corrected by the newsroom"
    assert Tranche.objects.get(pk=tranche.pk).notes == "Corrected by the newsroom"
    assert Release.objects.count() == 2


def test_a_syntax_error_is_refused_naming_the_line_and_nothing_is_written(tmp_path):
    path = edited_copy(tmp_path, 'amount = "90000000000.00"', "amount = 90,000")
    with pytest.raises(DatasetError) as exc:
        dataset_load(path=path)
    assert "not valid TOML" in str(exc.value)
    assert "line " in str(exc.value)
    assert record_rows() == 0


def test_a_bad_field_value_is_refused_naming_record_and_field_and_nothing_is_written(tmp_path):
    path = edited_copy(tmp_path, 'amount = "3900000000.00"', 'amount = "-3900000000.00"')
    with pytest.raises(DatasetError) as exc:
        dataset_load(path=path)
    assert exc.value.problems == [
        "tranches[0] (key 'usl-defence-drones-1'): amount: Amount (EUR) must be more than zero; got -€3.9bn."
    ]
    assert record_rows() == 0


def test_a_file_breaking_a_cross_row_rule_is_refused_and_nothing_is_written(tmp_path):
    path = edited_copy(tmp_path, 'amount = "60000000000.00"', 'amount = "3000000000.00"')  # defence €3bn
    with pytest.raises(DatasetError) as exc:
        dataset_load(path=path)
    assert exc.value.problems == ["Tranches of USL · Defence would total €3.9bn, but the component is €3.0bn."]
    assert record_rows() == 0


def test_unknown_fields_and_dangling_references_are_all_listed(tmp_path):
    path = edited_copy(tmp_path, 'component = "usl-defence"', 'component = "usl-navy"\ncolour = "red"')
    with pytest.raises(DatasetError) as exc:
        dataset_load(path=path)
    assert exc.value.problems[0].startswith("tranches[0] (key 'usl-defence-drones-1'): colour: unknown field")
    assert (
        exc.value.problems[1]
        == "tranches[0] (key 'usl-defence-drones-1'): component: 'usl-navy' is not a key in components"
    )


def test_the_command_reports_progress_and_fails_cleanly_on_a_bad_file(tmp_path):
    out = StringIO()
    call_command("load_dataset", stdout=out)
    assert f"tranches: {len(FILE['tranches'])} record(s)" in out.getvalue()
    assert "Published as Release 1." in out.getvalue()
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("load_dataset", str(tmp_path / "missing.toml"), stdout=StringIO())


def test_a_file_whose_figures_break_a_release_check_seeds_nothing(tmp_path):
    # a payment dated before the loan's period (2026–2027)
    path = edited_copy(tmp_path, "value_date = 2026-06-30", "value_date = 2025-06-30")
    with pytest.raises(DatasetError) as exc:
        dataset_load(path=path)
    assert any("outside USL's period (01 Jan 2026 – 31 Dec 2027)" in problem for problem in exc.value.problems)
    assert record_rows() == 0
    assert not Release.objects.exists()
