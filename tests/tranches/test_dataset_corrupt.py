"""Corrupted dataset files: every one is refused with the record, the field and the value named,
never with a traceback, and nothing is written. The table holds each corruption the hardening
round found (issue 16: 7 tracebacks, 5 silent loads) and a few of their kind; the property test
feeds the loader random edits of the real file."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import FIRST_DATASET
from tranches.dataset import (
    DATABASE_REFUSED,
    KEY_REQUIRED,
    NOT_A_DATE,
    NOT_A_KEY,
    NOT_A_TABLE,
    NOT_A_WHOLE_NUMBER,
    NOT_AN_AMOUNT,
    NOT_TEXT,
    NOT_TOML,
    NOT_TRUE_OR_FALSE,
    SUPPORTED_VERSION,
    TARGET_EXPECTED,
    TOO_DEEP,
    WRONG_VERSION,
    DatasetError,
    dataset_load,
)
from tranches.models import PUBLISHABLE_MODELS, PUBLISHED_MODEL, Purpose, Release
from tranches.models.rules import (
    DATE_OUT_OF_RANGE,
    TEXT_CONTROL_CHARACTER,
    TEXT_CONTROL_CHARACTER_MULTILINE,
    TEXT_DIRECTION_CHARACTER,
    TEXT_TOO_LONG,
)

pytestmark = pytest.mark.django_db
# The corruptions are made in a frozen copy of the first shipped file (version 1, which the loader
# still reads), so that the shipped dataset can grow without moving the records these tests name.
DATASET = FIRST_DATASET
TEXT = DATASET.read_text(encoding="utf-8")

DRONES = "tranches[0] (key 'usl-defence-drones-1')"
DEFENCE = "components[0] (key 'usl-defence')"
PAYMENT = "disbursements[0] (key 'usl-defence-drones-1-payment')"
USL = "instruments[0] (key 'usl')"
CITATION = "citations[0] (key 'usl-total-seed-000')"
AMOUNT = NOT_AN_AMOUNT.format(whole=13, places=2, value="{value}")
DATABASE = "the database refused it"
assert DATABASE in DATABASE_REFUSED
RANGE = DATE_OUT_OF_RANGE.format(label="{label}", first="01 Jan 2000", last="31 Dec 2100", value="{value}")


def rows_written() -> dict[str, int]:
    """Every table the loader writes: records, their history, the published state, releases, purposes."""
    counts = {model.__name__: model.objects.count() for model in PUBLISHABLE_MODELS}
    counts |= {f"history of {model.__name__}": model.history.count() for model in PUBLISHABLE_MODELS}
    counts |= {model.__name__: model.objects.count() for model in PUBLISHED_MODEL.values()}
    return counts | {"Release": Release.objects.count(), "Purpose": Purpose.objects.count()}


def edited(old: str, new: str) -> str:
    assert TEXT.count(old) >= 1, f"fixture text {old!r} not in the dataset"
    return TEXT.replace(old, new, 1)


# (what the file says, the file's text, the problems the loader names: exactly these)
CORRUPTIONS = [
    # -- 7 that gave a traceback
    (
        'amount "1e400" (was TypeError)',
        edited('amount = "3900000000.00"', 'amount = "1e400"'),
        [f"{DRONES}: amount: " + AMOUNT.format(value="'1e400'")],
    ),
    (
        'amount "60000000000.001" (was TypeError)',
        edited('amount = "60000000000.00"', 'amount = "60000000000.001"'),
        [f"{DEFENCE}: amount: " + AMOUNT.format(value="'60000000000.001'")],
    ),
    (
        'value date "around 25 June" (was TypeError)',
        edited("value_date = 2026-06-30", 'value_date = "around 25 June"'),
        [f"{PAYMENT}: value_date: " + NOT_A_DATE.format(value="'around 25 June'")],
    ),
    (
        "amount nan (was InvalidOperation)",
        edited('amount = "3900000000.00"', "amount = nan"),
        [f"{DRONES}: amount: " + AMOUNT.format(value="NaN")],
    ),
    (
        "sources = [1, 2] (was AttributeError)",
        "version = 1\nsources = [1, 2]\n",
        [
            "sources[0]: " + NOT_A_TABLE.format(section="sources", value="1"),
            "sources[1]: " + NOT_A_TABLE.format(section="sources", value="2"),
        ],
    ),
    (
        "a NUL in a string (was DataError at write time on PostgreSQL)",
        edited('name = "First defence tranche: drones"', 'name = "First\\u0000drones"'),
        [
            f"{DRONES}: name: "
            + TEXT_CONTROL_CHARACTER.format(label="Name", char="U+0000", position="6", text='"First\\u0000drones"')
        ],
    ),
    (
        "a 200,000-deep array (was RecursionError)",
        edited('grade = "A"', "grade = " + "[" * 200_000 + "]" * 200_000),
        [TOO_DEEP],
    ),
    # -- 5 that loaded a bad value without a word
    (
        'name = ["Budget", "support"] (was published as "[\'Budget\', \'support\']")',
        edited('name = "Budget support"', 'name = ["Budget", "support"]'),
        ["components[1] (key 'usl-budget-support'): name: " + NOT_TEXT.format(value="['Budget', 'support']")],
    ),
    (
        "amount = true (was taken as €1.00)",
        edited('amount = "3900000000.00"', "amount = true"),
        [f"{DRONES}: amount: " + AMOUNT.format(value="true")],
    ),
    (
        "a date-time with an offset (was turned into the next day)",
        edited("value_date = 2026-06-30", "value_date = 2026-06-30T23:30:00-05:00"),
        [f"{PAYMENT}: value_date: " + NOT_A_DATE.format(value="2026-06-30T23:30:00-05:00")],
    ),
    (
        "year 1 (was accepted)",
        edited("period_start = 2026-01-01", "period_start = 0001-01-01"),
        [f"{USL}: period_start: " + RANGE.format(label="Period start", value="01 Jan 0001")],
    ),
    (
        "year 9999 (was accepted)",
        edited("period_end = 2027-12-31", "period_end = 9999-12-31"),
        [f"{USL}: period_end: " + RANGE.format(label="Period end", value="31 Dec 9999")],
    ),
    # -- more of their kind
    (
        "citation source = [1, 2] (was TypeError: unhashable)",
        edited('source = "seed-000"', "source = [1, 2]"),
        [f"{CITATION}: source: " + NOT_A_KEY.format(value="[1, 2]", section="sources")],
    ),
    (
        "a local date-time",
        edited("value_date = 2026-06-30", "value_date = 2026-06-30T23:30:00"),
        [f"{PAYMENT}: value_date: " + NOT_A_DATE.format(value="2026-06-30T23:30:00")],
    ),
    (
        "a source dated in year 1",
        edited("published_on = 2026-02-26", "published_on = 0001-02-26"),
        ["sources[0] (key 'oj-2026-467'): published_on: " + RANGE.format(label="Published on", value="26 Feb 0001")],
    ),
    (
        "inf",
        edited('amount = "3900000000.00"', "amount = -inf"),
        [f"{DRONES}: amount: " + AMOUNT.format(value="-Infinity")],
    ),
    (
        'a string "NaN"',
        edited('amount = "3900000000.00"', 'amount = "NaN"'),
        [f"{DRONES}: amount: " + AMOUNT.format(value="'NaN'")],
    ),
    (
        "an amount with spaces",
        edited('amount = "3900000000.00"', 'amount = " 3900000000.00"'),
        [f"{DRONES}: amount: " + AMOUNT.format(value="' 3900000000.00'")],
    ),
    (
        "a year with a fraction",
        edited("budget_year = 2026", "budget_year = 2026.5"),
        [f"{DRONES}: budget_year: " + NOT_A_WHOLE_NUMBER.format(value="2026.5")],
    ),
    (
        'is_used = "no"',
        edited('"28300000000.00"\nis_used = false', '"28300000000.00"\nis_used = "no"'),
        ["citations[3] (key 'usl-defence-plan-2026'): is_used: " + NOT_TRUE_OR_FALSE.format(value="'no'")],
    ),
    (
        "version = true",
        edited("version = 1", "version = true"),
        [WRONG_VERSION.format(expected=SUPPORTED_VERSION, value="true")],
    ),
    (
        "a key that is a list",
        edited('key = "usl"', 'key = ["usl"]'),
        [
            f"instruments[0] (key ['usl']): {KEY_REQUIRED}",
            f"{DEFENCE}: instrument: " + NOT_A_KEY.format(value="'usl'", section="instruments"),
            "components[1] (key 'usl-budget-support'): instrument: "
            + NOT_A_KEY.format(value="'usl'", section="instruments"),
            *[
                f"citations[{i}] (key '{key}'): target: 'instrument:usl' should be one of {TARGET_EXPECTED} "
                "naming a record in this file"
                for i, key in enumerate(["usl-total-seed-000", "usl-legal-basis-oj"])
            ],
        ],
    ),
    (
        "a right-to-left override in a name",
        edited('name = "First defence tranche: drones"', 'name = "Drones \\u202Eenoz"'),
        [
            f"{DRONES}: name: "
            + TEXT_DIRECTION_CHARACTER.format(
                label="Name", char="U+202E (RIGHT-TO-LEFT OVERRIDE)", position="8", text='"Drones \\u202eenoz"'
            )
        ],
    ),
    (
        "an escape character in a note",
        edited('notes = "Value date approximate', 'notes = "\\u001b[31mValue date approximate'),
        [
            "disbursements[1] (key 'usl-budget-2026-06-payment'): notes: "
            + TEXT_CONTROL_CHARACTER_MULTILINE.format(
                label="Notes", char="U+001B", position="1", text='"\\u001b[31mValue date appro"…'
            )
        ],
    ),
    (
        "a note of 10,001 characters",
        edited('notes = "Value date approximate (around 25 June 2026)."', f'notes = "{"x" * 10_001}"'),
        [
            "disbursements[1] (key 'usl-budget-2026-06-payment'): notes: "
            + TEXT_TOO_LONG.format(label="Notes", limit=10_000, length=10_001)
        ],
    ),
    (
        "an integer of 5,000 digits",
        edited("budget_year = 2026", "budget_year = " + "9" * 5000),
        [
            NOT_TOML.format(
                reason="Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; "
                "use sys.set_int_max_str_digits() to increase the limit"
            )
        ],
    ),
]


@pytest.mark.parametrize(("text", "problems"), [c[1:] for c in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS])
def test_a_corrupted_file_is_refused_naming_record_field_and_value_and_nothing_is_written(tmp_path, text, problems):
    # Given an empty database and a corrupted copy of the dataset file
    path = tmp_path / "dataset.toml"
    path.write_text(text, encoding="utf-8")
    before = rows_written()
    # When it is loaded
    with pytest.raises(DatasetError) as refused:
        dataset_load(path=path)
    # Then exactly these problems are named, and not one row is written
    assert refused.value.problems == problems
    assert rows_written() == before


def test_the_real_file_still_loads(tmp_path):
    report = dataset_load(path=Path(settings.DATASET_PATH))
    assert report.release == 1


def test_every_problem_of_a_file_is_listed_at_once_and_the_command_says_nothing_was_written(tmp_path):
    # Given a file with three corruptions in three records
    text = edited('amount = "3900000000.00"', "amount = true")
    text = text.replace("value_date = 2026-06-30", 'value_date = "around 25 June"', 1)
    text = text.replace('name = "Budget support"', 'name = ["Budget", "support"]', 1)
    path = tmp_path / "dataset.toml"
    path.write_text(text, encoding="utf-8")
    before = rows_written()
    # When the command loads it
    with pytest.raises(CommandError) as refused:
        call_command("load_dataset", str(path), stdout=StringIO())
    # Then each is named, and nothing was written
    message = str(refused.value)
    assert f"{DRONES}: amount: " + AMOUNT.format(value="true") in message
    assert f"{PAYMENT}: value_date: " + NOT_A_DATE.format(value="'around 25 June'") in message
    assert (
        "components[1] (key 'usl-budget-support'): name: " + NOT_TEXT.format(value="['Budget', 'support']") in message
    )
    assert "3 problem(s)" in message
    assert message.endswith("Nothing was written.")
    assert rows_written() == before


def test_a_directory_or_an_unreadable_file_is_named_not_a_traceback(tmp_path):
    with pytest.raises(DatasetError) as refused:
        dataset_load(path=tmp_path)
    assert refused.value.problems == ["cannot be read: Is a directory"]


# ---------------------------------------------------------------- property: random edits of the file

LINES = TEXT.splitlines()
# One-line assignments (a multi-line string's first line is left alone: replacing it only makes a syntax error).
ASSIGNMENTS = [i for i, line in enumerate(LINES) if re.match(r"^[a-z_]+ = ", line) and '"""' not in line]
STRINGS = [i for i in ASSIGNMENTS if re.match(r'^[a-z_]+ = ".', LINES[i])]
TABLES = [i for i, line in enumerate(LINES) if line.startswith("[[")]
ESCAPES = ["\\u0000", "\\u0007", "\\u001b", "\\u007f", "\\u0085", "\\u202e", "\\u2066", "\\n", "\\t", "\\r", "\\\\"]


def toml_string(text: str) -> str:
    escaped = "".join(
        f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else ("\\" + c if c in '"\\' else c) for c in text
    )
    return f'"{escaped}"'


scalars = st.one_of(
    st.text(max_size=30).map(toml_string),
    st.sampled_from(
        [
            '"1e400"',
            '"60000000000.001"',
            '"3900000000.00"',
            '"-1.00"',
            '"0"',
            '""',
            '"around 25 June"',
            '"drones"',
            '"usl"',
            '"usl-defence"',
            '"tranche:usl-defence-drones-1"',
            '"disbursed"',
            '"A"',
            '"USD"',
            "nan",
            "-inf",
            "true",
            "false",
            "0001-01-01",
            "9999-12-31",
            "1999-12-31",
            "2101-01-01",
            "2026-06-30T23:30:00-05:00",
            "2026-06-30T23:30:00",
            "23:30:00",
            '"' + "x" * 10_001 + '"',
            "9" * 5000,
        ]
    ),
    st.integers().map(str),
    st.floats().map(repr),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    st.dictionaries(st.from_regex(r"[a-z]{1,5}", fullmatch=True), scalars, max_size=2).map(
        lambda d: "{" + ", ".join(f"{k} = {v}" for k, v in d.items()) + "}"
    ),
    st.integers(1, 5000).map(lambda depth: "[" * depth + "]" * depth),
)
edits = st.lists(
    st.one_of(
        st.tuples(st.just("replace"), st.sampled_from(ASSIGNMENTS), values),
        st.tuples(st.just("delete"), st.sampled_from(ASSIGNMENTS)),
        st.tuples(st.just("duplicate"), st.sampled_from(TABLES)),
        st.tuples(st.just("insert"), st.sampled_from(STRINGS), st.integers(0, 120), st.sampled_from(ESCAPES)),
        st.tuples(st.just("insert raw"), st.sampled_from(STRINGS), st.integers(0, 120), st.characters()),
        st.tuples(st.just("rename"), st.sampled_from(ASSIGNMENTS), st.from_regex(r"[a-z_]{1,12}", fullmatch=True)),
    ),
    min_size=1,
    max_size=3,
)


def edited_lines(edits: list[tuple]) -> list[str]:
    lines = list(LINES)
    for kind, line, *args in edits:
        name, _, value = lines[line].partition(" = ")
        if kind == "replace":
            lines[line] = f"{name} = {args[0]}"
        elif kind == "delete":
            lines[line] = ""
        elif kind == "duplicate":  # the whole [[table]] again, at the end of the file
            end = next((i for i in range(line + 1, len(LINES)) if LINES[i].startswith(("[[", "# ---"))), len(LINES))
            lines.extend(["", *LINES[line:end]])
        elif kind.startswith("insert") and value.startswith('"'):
            at = 1 + args[0] % max(1, len(value) - 1)
            lines[line] = f"{name} = {value[:at]}{args[1]}{value[at:]}"
        elif kind == "rename":
            lines[line] = f"{args[0]} = {value}"
    return lines


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(edits=edits)
def test_random_edits_of_the_real_file_either_load_or_are_refused_by_name(tmp_path, edits):
    # Given the real file with a few random edits
    path = tmp_path / "dataset.toml"
    path.write_text("\n".join(edited_lines(edits)) + "\n", encoding="utf-8")
    before = rows_written()
    # When it is loaded into an empty database (each example rolls its writes back)
    with transaction.atomic():
        refusal = refusal_of(path)
        written = rows_written()
        if refusal is None:
            # Then either everything loaded keeps every value rule
            for model in PUBLISHABLE_MODELS:
                for record in model.objects.all():
                    record.full_clean()
        transaction.set_rollback(True)
    event("loaded" if refusal is None else "refused")
    if refusal is not None:
        # or a refusal names its problems, comes from the rules (not from the database) and writes nothing
        assert refusal.problems
        assert not any(DATABASE in problem for problem in refusal.problems)
        assert written == before


def refusal_of(path: Path) -> DatasetError | None:
    try:
        dataset_load(path=path)
    except DatasetError as refused:
        return refused
    return None


def test_the_property_test_edits_reach_the_loader():
    """The strategies are not vacuous: the file has lines of each kind to edit."""
    assert len(ASSIGNMENTS) > 150
    assert len(STRINGS) > 80
    assert len(TABLES) == 36
