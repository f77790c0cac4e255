"""The Ukrainian translation is complete and shipped compiled (issue 14 item 7): every message of
every app's uk catalogue has a translation that is not marked fuzzy, each committed .mo says exactly
what its .po says (read back with Python's own gettext, so a stale .mo fails whatever the file
times), every string the templates and code mark for translation is in the .po (extracted afresh
by makemessages, as `make messages` does), and the English labels the stored record carries are all
offered for translation."""

from __future__ import annotations

import ast
import gettext
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command

from public.templatetags.figures import RECORD_TEXTS
from reports import instruments
from tests.skips import skip_or_fail
from tranches.models.estimates import Qualifier
from tranches.models.records import Stage

ROOT = Path(__file__).resolve().parents[2]
# Every app with a catalogue: <app>/locale/uk/LC_MESSAGES/django.po (`make messages` finds them so).
CATALOGUES = sorted(ROOT.glob("*/locale/uk/LC_MESSAGES/django.po"))


@dataclass
class Entry:
    msgid: str
    context: str | None = None
    plural: str | None = None
    translations: list[str] = field(default_factory=list)
    fuzzy: bool = False


def po_entries(path: Path) -> list[Entry]:
    """The active entries of a .po file (obsolete '#~' ones left out), the header included."""
    entries: list[Entry] = []
    fields: dict[str, list[str]] = {}
    flags: list[str] = []
    current = ""

    def close() -> None:
        if "msgid" in fields:
            text = {name: "".join(ast.literal_eval(part) for part in parts) for name, parts in fields.items()}
            strings = [text[name] for name in sorted(text) if name.startswith("msgstr")]
            entries.append(
                Entry(text["msgid"], text.get("msgctxt"), text.get("msgid_plural"), strings, "fuzzy" in flags)
            )
        fields.clear()
        flags.clear()

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            close()
        elif line.startswith("#,"):
            flags.extend(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[current].append(line)
        else:
            current, _, value = line.partition(" ")
            fields[current] = [value]
    return entries


def mo_catalogue(path: Path) -> dict[object, str]:
    with path.open("rb") as file:
        return dict(gettext.GNUTranslations(file)._catalog)  # type: ignore[attr-defined]


def expected_catalogue(entries: list[Entry]) -> dict[object, str]:
    """What msgfmt makes of the entries: GNU gettext's keys ('context\\x04msgid', (msgid, n))."""
    catalogue: dict[object, str] = {}
    for entry in entries:
        if not entry.msgid or entry.fuzzy:
            continue
        key = f"{entry.context}\x04{entry.msgid}" if entry.context is not None else entry.msgid
        if entry.plural is None:
            catalogue[key] = entry.translations[0]
        else:
            catalogue.update({(key, n): text for n, text in enumerate(entry.translations)})
    return catalogue


def message_keys(entries: list[Entry]) -> set[tuple[str | None, str]]:
    return {(entry.context, entry.msgid) for entry in entries if entry.msgid}


def test_every_app_with_interface_text_has_a_ukrainian_catalogue():
    assert {path.relative_to(ROOT).parts[0] for path in CATALOGUES} >= {"public", "tranches"}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: path.relative_to(ROOT).parts[0])
def test_every_message_has_a_ukrainian_translation_not_marked_fuzzy(po):
    # Given an app's Ukrainian catalogue
    entries = po_entries(po)
    header = next(entry for entry in entries if not entry.msgid)
    # Then its header is final (a fuzzy header is ignored by msgfmt, plural rules and all)
    assert not header.fuzzy, f"{po}: the header is marked fuzzy"
    assert "Language: uk\\n" in header.translations[0].replace("\n", "\\n")
    # and every message is translated, every plural form of it, and none is left fuzzy
    untranslated = [entry.msgid for entry in entries if entry.msgid and not all(entry.translations)]
    fuzzy = [entry.msgid for entry in entries if entry.msgid and entry.fuzzy]
    assert not untranslated, f"{po}: no Ukrainian for {untranslated}"
    assert not fuzzy, f"{po}: fuzzy (to review) {fuzzy}"
    plurals = [entry.msgid for entry in entries if entry.plural is not None and len(entry.translations) != 4]
    assert not plurals, f"{po}: Ukrainian has four plural forms; {plurals}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: path.relative_to(ROOT).parts[0])
def test_the_committed_mo_says_what_its_po_says(po):
    # Given an app's catalogue and the compiled file committed beside it
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make messages` and commit it"
    # Then the compiled messages are the .po's, no more and no fewer
    compiled = mo_catalogue(mo)
    compiled.pop("", None)
    expected = expected_catalogue(po_entries(po))
    stale = {key for key in expected.keys() | compiled.keys() if expected.get(key) != compiled.get(key)}
    assert not stale, f"{mo} is older than {po.name}: run `make messages` ({sorted(map(str, stale))[:5]})"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: path.relative_to(ROOT).parts[0])
def test_every_string_marked_for_translation_is_in_the_catalogue(po, tmp_path, monkeypatch):
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        skip_or_fail("needs GNU gettext (xgettext, msgmerge): apt-get install gettext")
    # Given a copy of the app's code and templates, without its catalogue
    app = po.parents[3]
    copy = tmp_path / app.name
    shutil.copytree(
        app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.po", "*.mo", "static", "vendor-src", "migrations")
    )
    # When makemessages extracts its messages afresh, as `make messages` does
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["uk"], verbosity=0)
    extracted = message_keys(po_entries(copy / "locale" / "uk" / "LC_MESSAGES" / "django.po"))
    # Then the committed catalogue has every one of them, and none that the code no longer marks
    committed = message_keys(po_entries(po))
    assert not extracted - committed, f"not in {po}: {sorted(extracted - committed)}; run `make messages`"
    assert not committed - extracted, f"no longer marked, still in {po}: {sorted(committed - extracted)}"


def test_every_english_label_the_stored_record_carries_is_offered_for_translation():
    # The record's labels and rules are stored in English (reports/instruments.py); the pages show
    # them through the `label` filter, which translates those it lists.
    carried = {
        *instruments.OUTCOME_LABELS.values(),
        *instruments.MILESTONE_LABELS.values(),
        *instruments.ESTIMATE_LABELS.values(),
        *instruments.COUNTING_RULES,
        *(value for value in Qualifier.values if value),
        *Stage.values,
    }
    missing = carried - set(RECORD_TEXTS)
    assert not missing, f"add to RECORD_TEXTS in public/templatetags/figures.py: {missing}"
