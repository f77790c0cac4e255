"""One set of value rules for every writer (tranches.models.rules): dates between 2000 and 2100, no
control or direction-override characters, long text that every export keeps whole. The admin, the
services and the loader refuse with the same message; the database refuses what bypasses them."""

from __future__ import annotations

import datetime
import importlib
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, models, transaction
from django.urls import reverse

from tests.factories import (
    CitationFactory,
    ComponentFactory,
    DisbursementFactory,
    InstrumentFactory,
    SourceFactory,
    TrancheFactory,
)
from tests.migrations import migrate_to
from tests.releases import released
from tranches import services
from tranches.models import (
    PUBLISHABLE_MODELS,
    Instrument,
    PublishedTranche,
    Stage,
    Tranche,
)
from tranches.models.rules import (
    DATE_OUT_OF_RANGE,
    TEXT_CONTROL_CHARACTER,
    TEXT_CONTROL_CHARACTER_MULTILINE,
    TEXT_DIRECTION_CHARACTER,
    TEXT_MAX_LENGTH,
    TEXT_TOO_LONG,
    XLSX_CELL_MAX,
    DateInRange,
    LengthAtMost,
    PlainText,
)

BN = Decimal(1_000_000_000)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RLO = "\u202e"


def range_message(label: str, value: str) -> str:
    return DATE_OUT_OF_RANGE.format(label=label, first="01 Jan 2000", last="31 Dec 2100", value=value)


# ------------------------------------------------------------------ the rules, field by field


def test_every_date_text_and_name_of_the_loan_records_carries_its_rule():
    """A field added later without its rule fails here."""
    missing = []
    for model in PUBLISHABLE_MODELS:
        constraints = {constraint.name for constraint in model._meta.constraints}
        prefix = f"tranches_{model._meta.model_name}_"
        for field in model._meta.concrete_fields:
            kinds = {type(validator) for validator in field.validators}
            where = f"{model.__name__}.{field.name}"
            if isinstance(field, models.DateTimeField) or not field.editable:
                continue  # bookkeeping (created_at, status, dataset_key: the loader checks keys)
            if isinstance(field, models.DateField):
                if DateInRange not in kinds or f"{prefix}{field.name}_in_range" not in constraints:
                    missing.append(where)
            elif isinstance(field, models.TextField):
                multiline = [v for v in field.validators if isinstance(v, PlainText) and v.multiline]
                rules = multiline and LengthAtMost in kinds and field.max_length == TEXT_MAX_LENGTH
                if not rules or f"{prefix}{field.name}_length" not in constraints:
                    missing.append(where)
            elif isinstance(field, models.SlugField):
                if validate_slug not in field.validators:  # ASCII letters, digits, - and _ only
                    missing.append(where)
            elif isinstance(field, models.CharField) and not field.choices and PlainText not in kinds:
                missing.append(where)
    assert missing == []


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        (datetime.date(1, 1, 1), "01 Jan 0001"),
        (datetime.date(1999, 12, 31), "31 Dec 1999"),
        (datetime.date(2000, 1, 1), None),
        (datetime.date(2100, 12, 31), None),
        (datetime.date(2101, 1, 1), "01 Jan 2101"),
        (datetime.date(9999, 12, 31), "31 Dec 9999"),
    ],
)
def test_dates_are_between_2000_and_2100_inclusive(value, refused):
    rule = DateInRange("date approved")
    if refused is None:
        rule(value)
        return
    with pytest.raises(ValidationError) as error:
        rule(value)
    assert error.value.messages == [range_message("Date approved", refused)]


@pytest.mark.parametrize(
    ("text", "multiline", "message"),
    [
        (
            "Drones\x00",
            False,
            TEXT_CONTROL_CHARACTER.format(label="Name", char="U+0000", position="7", text='"Drones\\u0000"'),
        ),
        ("a\nb", False, TEXT_CONTROL_CHARACTER.format(label="Name", char="U+000A", position="2", text='"a\\u000ab"')),
        ("a\tb", False, TEXT_CONTROL_CHARACTER.format(label="Name", char="U+0009", position="2", text='"a\\u0009b"')),
        ("a\x85b", False, TEXT_CONTROL_CHARACTER.format(label="Name", char="U+0085", position="2", text='"a\\u0085b"')),
        ("a\nb\tc\r\n", True, None),
        (
            "a\x7fb",
            True,
            TEXT_CONTROL_CHARACTER_MULTILINE.format(label="Name", char="U+007F", position="2", text='"a\\u007fb"'),
        ),
        *[
            (f"ab{char}c", multiline, TEXT_DIRECTION_CHARACTER.format(label="Name", char=name, position="3", text=text))
            for char, name, text in [
                ("\u202a", "U+202A (LEFT-TO-RIGHT EMBEDDING)", '"ab\\u202ac"'),
                (RLO, "U+202E (RIGHT-TO-LEFT OVERRIDE)", '"ab\\u202ec"'),
                ("\u2066", "U+2066 (LEFT-TO-RIGHT ISOLATE)", '"ab\\u2066c"'),
                ("\u2069", "U+2069 (POP DIRECTIONAL ISOLATE)", '"ab\\u2069c"'),
            ]
            for multiline in (False, True)
        ],
        ("Київ — €3.9bn (“drones”)", False, None),  # any printable text is fine
        ("\u200f\u061c", False, None),  # right-to-left marks are not overrides
    ],
)
def test_text_holds_no_control_or_direction_override_characters(text, multiline, message):
    rule = PlainText("name", multiline=multiline)
    if message is None:
        rule(text)
        return
    with pytest.raises(ValidationError) as error:
        rule(text)
    assert error.value.messages == [message]


def test_a_character_far_into_a_long_text_is_shown_with_the_text_around_it():
    text = "x" * 100 + "\x00" + "y" * 100
    with pytest.raises(ValidationError) as error:
        PlainText("notes", multiline=True)(text)
    around = '…"' + "x" * 20 + "\\u0000" + "y" * 20 + '"…'
    assert error.value.messages == [
        TEXT_CONTROL_CHARACTER_MULTILINE.format(label="Notes", char="U+0000", position="101", text=around)
    ]


def test_long_text_is_at_most_10000_characters_which_an_xlsx_cell_holds():
    assert TEXT_MAX_LENGTH * 2 <= XLSX_CELL_MAX  # even counted in UTF-16 units, as Excel does
    LengthAtMost("notes")("x" * 10_000)
    with pytest.raises(ValidationError) as error:
        LengthAtMost("notes")("x" * 2_000_000)
    assert error.value.messages == [TEXT_TOO_LONG.format(label="Notes", limit=10_000, length=2_000_000)]
    assert error.value.messages == [
        "Notes may be at most 10,000 characters long, so that every export keeps it whole; got 2,000,000."
    ]


# ------------------------------------------------------------------ every writer: the services


@pytest.mark.django_db
def test_the_services_refuse_a_date_in_year_1_with_the_field_and_the_value_named():
    tranche = TrancheFactory.build(component=ComponentFactory(), approved_on=datetime.date(1, 1, 1))
    with pytest.raises(ValidationError) as refused:
        services.tranche_save(tranche=tranche)
    assert refused.value.message_dict == {
        "approved_on": ["Date approved must be between 01 Jan 2000 and 31 Dec 2100; got 01 Jan 0001."]
    }
    assert not Tranche.objects.exists()


@pytest.mark.django_db
def test_an_instrument_period_0001_to_9999_is_refused_not_published():
    instrument = InstrumentFactory.build(period_start=datetime.date(1, 1, 1), period_end=datetime.date(9999, 12, 31))
    with pytest.raises(ValidationError) as refused:
        services.instrument_save(instrument=instrument)
    assert refused.value.message_dict == {
        "period_start": [range_message("Period start", "01 Jan 0001")],
        "period_end": [range_message("Period end", "31 Dec 9999")],
    }
    assert not Instrument.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("build", "field", "value", "message"),
    [
        (
            lambda: SourceFactory.build(),
            "title",
            f"Commission {RLO}fdp.exe",
            TEXT_DIRECTION_CHARACTER.format(
                label="Title",
                char="U+202E (RIGHT-TO-LEFT OVERRIDE)",
                position="12",
                text='"Commission \\u202efdp.exe"',
            ),
        ),
        (
            lambda: SourceFactory.build(),
            "published_on",
            datetime.date(1999, 12, 31),
            range_message("Published on", "31 Dec 1999"),
        ),
        (
            lambda: DisbursementFactory.build(tranche=TrancheFactory()),
            "value_date",
            datetime.date(2101, 1, 1),
            range_message("Value date", "01 Jan 2101"),
        ),
        (
            lambda: DisbursementFactory.build(tranche=TrancheFactory()),
            "notes",
            "n" * 2_000_000,
            TEXT_TOO_LONG.format(label="Notes", limit=10_000, length=2_000_000),
        ),
        (
            lambda: CitationFactory.build(source=SourceFactory(), tranche=TrancheFactory()),
            "quote",
            "worth 3.9\x00 billion",
            TEXT_CONTROL_CHARACTER_MULTILINE.format(
                label="Quote", char="U+0000", position="10", text='"worth 3.9\\u0000 billion"'
            ),
        ),
        (
            lambda: CitationFactory.build(source=SourceFactory(), tranche=TrancheFactory()),
            "locator",
            "p. 3\n",
            TEXT_CONTROL_CHARACTER.format(label="Locator", char="U+000A", position="5", text='"p. 3\\u000a"'),
        ),
    ],
    ids=["source title", "source date", "value date", "payment notes", "quote", "locator"],
)
def test_every_service_refuses_a_value_breaking_a_rule_naming_field_and_value(build, field, value, message):
    record = build()
    setattr(record, field, value)
    model = type(record)
    before = model.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.record_save(record=record)
    assert refused.value.message_dict == {field: [message]}
    assert model.objects.count() == before


@pytest.mark.django_db
def test_a_year_9999_payment_is_refused_once_for_its_range_not_again_as_in_the_future():
    payment = DisbursementFactory.build(tranche=TrancheFactory(), value_date=datetime.date(9999, 12, 31))
    with pytest.raises(ValidationError) as refused:
        services.disbursement_save(disbursement=payment)
    assert refused.value.message_dict == {"value_date": [range_message("Value date", "31 Dec 9999")]}


# ------------------------------------------------------------------ every writer: the admin


def tranche_form(component: Any, **fields: Any) -> dict[str, Any]:
    management = {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}
    return {
        "component": component.pk,
        "name": "Second defence tranche",
        "slug": "defence-2",
        "purpose": "air defence",
        "amount": "1000000000.00",
        "stage": "approved",
        "approved_on": "2026-06-15",
        "budget_year": "2026",
        "notes": "",
        "version": 0,
        **{f"{inline}-{key}": value for inline in ("disbursements", "citations") for key, value in management.items()},
        **fields,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "messages"),
    [
        (
            "name",
            f"Drones {RLO}enoz",
            [
                TEXT_DIRECTION_CHARACTER.format(
                    label="Name", char="U+202E (RIGHT-TO-LEFT OVERRIDE)", position="8", text='"Drones \\u202eenoz"'
                )
            ],
        ),
        ("approved_on", "0001-01-01", ["Date approved must be between 01 Jan 2000 and 31 Dec 2100; got 01 Jan 0001."]),
        ("notes", "x" * 10_001, ["Ensure this value has at most 10000 characters (it has 10001)."]),
        (
            "notes",
            "Approved\x1b[2J",
            [
                TEXT_CONTROL_CHARACTER_MULTILINE.format(
                    label="Notes", char="U+001B", position="9", text='"Approved\\u001b[2J"'
                )
            ],
        ),
    ],
    ids=["override in a name", "year 1", "10,001-character note", "escape in a note"],
)
def test_the_admin_refuses_on_the_field_with_the_same_message(client, editor, field, value, messages):
    component = ComponentFactory(amount=60 * BN)
    released(component.instrument, component)
    client.force_login(editor)
    response = client.post(reverse("admin:tranches_tranche_add"), tranche_form(component, **{field: value}))
    assert response.status_code == 200  # the form again, not a redirect and not a 500
    assert response.context["adminform"].form.errors[field] == messages
    assert not Tranche.objects.filter(slug="defence-2").exists()


@pytest.mark.django_db
def test_the_admin_keeps_line_breaks_and_tabs_in_notes(client, editor):
    component = ComponentFactory(amount=60 * BN)
    released(component.instrument, component)
    client.force_login(editor)
    notes = "First line\r\n\tindented second line"
    response = client.post(reverse("admin:tranches_tranche_add"), tranche_form(component, notes=notes))
    assert response.status_code == 302
    assert Tranche.objects.get(slug="defence-2").notes == notes


# ------------------------------------------------------------------ the database's own check


def _tranche_at(field: str) -> Tranche:
    stages = {"planned_on": Stage.PLANNED, "approved_on": Stage.APPROVED, "disbursed_on": Stage.DISBURSED}
    stages |= {"withheld_on": Stage.WITHHELD, "cancelled_on": Stage.CANCELLED}
    return TrancheFactory(stage=stages[field], **{"approved_on": None, field: datetime.date(2026, 6, 1)})


DATE_CONSTRAINTS = [
    (lambda: InstrumentFactory(), "period_start", datetime.date(1999, 12, 31)),
    (lambda: InstrumentFactory(), "period_end", datetime.date(2101, 1, 1)),
    *[
        (lambda field=field: _tranche_at(field), field, datetime.date(2101, 1, 1))
        for field in ("planned_on", "approved_on", "disbursed_on", "withheld_on", "cancelled_on")
    ],
    (lambda: DisbursementFactory(), "value_date", datetime.date(2101, 1, 1)),
    (lambda: SourceFactory(), "published_on", datetime.date(1, 1, 1)),
]
LENGTH_CONSTRAINTS = [
    (lambda: InstrumentFactory(), "description"),
    (lambda: ComponentFactory(), "description"),
    (lambda: TrancheFactory(), "notes"),
    (lambda: DisbursementFactory(), "notes"),
    (lambda: SourceFactory(), "notes"),
    (lambda: CitationFactory(), "quote"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("create", "field", "value"), DATE_CONSTRAINTS, ids=[c[1] for c in DATE_CONSTRAINTS])
def test_the_database_refuses_a_date_outside_the_range_that_bypasses_the_validators(create, field, value):
    record = create()
    model = type(record)
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        model.objects.filter(pk=record.pk).update(**{field: value})
    assert f"tranches_{model._meta.model_name}_{field}_in_range" in str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("create", "field"), LENGTH_CONSTRAINTS, ids=[f"{i}-{c[1]}" for i, c in enumerate(LENGTH_CONSTRAINTS)]
)
def test_the_database_refuses_long_text_over_10000_characters_that_bypasses_the_validators(create, field):
    record = create()
    model = type(record)
    model.objects.filter(pk=record.pk).update(**{field: "é" * 10_000})  # characters, not bytes
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        model.objects.filter(pk=record.pk).update(**{field: "x" * 10_001})
    assert f"tranches_{model._meta.model_name}_{field}_length" in str(refused.value)


@pytest.mark.django_db
def test_the_published_state_has_no_such_constraint_so_history_published_before_the_rules_stays():
    tranche = TrancheFactory()
    released(tranche.component.instrument, tranche.component, tranche)
    PublishedTranche.objects.filter(id=tranche.pk).update(approved_on=datetime.date(1, 1, 1), notes="x" * 20_000)
    assert PublishedTranche.objects.get(id=tranche.pk).approved_on == datetime.date(1, 1, 1)


# ------------------------------------------------------------------ exports keep what the rules allow


@pytest.mark.django_db
def test_the_longest_note_allowed_comes_back_whole_from_the_xlsx_export(client):
    # Given a published tranche with a note of the longest length allowed, over several lines
    notes = ("First line of a long note.\n" * 400)[:TEXT_MAX_LENGTH]
    tranche = TrancheFactory(notes=notes)
    services.tranche_save(tranche=tranche)
    released(tranche.component.instrument, tranche.component, tranche)
    # When it is exported as a workbook
    response = client.get("/api/v1/tranches/", HTTP_ACCEPT=XLSX)
    # Then the cell holds the whole note
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    (row,) = [dict(zip(header, row, strict=True)) for row in rows]
    assert row["notes"] == notes
    assert len(row["notes"]) == 10_000


# ------------------------------------------------------------------ the migration names drafts it would refuse


@pytest.mark.django_db(transaction=True)
def test_migrating_a_database_with_drafts_outside_the_rules_names_each_one(back_to_the_latest_migration):
    migration = importlib.import_module("tranches.migrations.0007_value_rules")
    # Given a database before the rules, with a draft instrument 0001–9999 and a 20,000-character description
    apps = migrate_to([("tranches", "0006_release_one")])
    old = apps.get_model("tranches", "instrument").objects.create(
        name="USL", short_name="USL", slug="usl", legal_basis="Reg", amount=90 * BN,
        period_start=datetime.date(1, 1, 1), period_end=datetime.date(9999, 12, 31),
    )  # fmt: skip
    component = apps.get_model("tranches", "component").objects.create(
        instrument=old, name="Defence", slug="defence", amount=60 * BN, description="d" * 20_000
    )
    # When the rules' migration runs
    with pytest.raises(RuntimeError) as refused:
        migrate_to([("tranches", "0007_value_rules")])
    # Then it names each draft, field and value, and the database stays as it was
    problems = [
        f"  - instrument id {old.pk}: period_start is 0001-01-01, not within 2000-01-01 – 2100-12-31",
        f"  - instrument id {old.pk}: period_end is 9999-12-31, not within 2000-01-01 – 2100-12-31",
        f"  - component id {component.pk}: description has 20,000 characters, more than 10,000",
    ]
    assert str(refused.value) == migration.DRAFTS_BREAK_THE_RULES.format(count=3, problems="\n".join(problems))
    # and once the drafts are corrected it goes through
    apps.get_model("tranches", "instrument").objects.filter(pk=old.pk).update(
        period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2027, 12, 31)
    )
    apps.get_model("tranches", "component").objects.filter(pk=component.pk).update(description="Defence")
    migrate_to([("tranches", "0007_value_rules")])
    assert Instrument.objects.get(pk=old.pk).period_start == datetime.date(2026, 1, 1)
