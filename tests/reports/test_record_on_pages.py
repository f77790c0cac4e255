"""The record on the dashboard: EU money by instrument and year counted once, the other instruments'
payment histories, the conditions ledger and its chart, milestones planned vs actual, estimates and
what is not known yet; each figure with its source (publisher, grade, quoted passage), and payment
dates as exactly as the sources know them. The page is read as a reader reads it (its text)."""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from lxml import html as lxml_html

from reports import instruments, services
from reports.models import FigureSnapshot
from tests.factories import ComponentFactory, DisbursementFactory, InstrumentFactory, TrancheFactory
from tests.releases import released
from tests.reports.conftest import refreshed
from tests.reports.test_instrument_view import cited, published_payments
from tranches import services as tranche_services
from tranches.dataset import dataset_load
from tranches.models import (
    Citation,
    Component,
    Condition,
    DatePrecision,
    Disbursement,
    Estimate,
    Instrument,
    Milestone,
    OpenQuestion,
    Source,
    Stage,
    Tranche,
    condition_outcome,
)
from tranches.money import eur_compact as eur  # the pages' rule: € billions, two decimals
from tranches.selectors import public_versions

pytestmark = pytest.mark.django_db
THROUGH = Decimal("1500000000.00")


@pytest.fixture
def recorded(db: Any) -> FigureSnapshot:
    """The shipped dataset, then a release with €1.5bn of the loan's budget support paid through the
    Ukraine Facility, and a context instrument of the test's own ("Test Facility") whose payments
    are known to the month (May 2025) and approximately (around 25 June 2026), with a question it
    answered. Figures and chart data built as the jobs build them."""
    dataset_load(path=settings.DATASET_PATH)
    loan = Instrument.objects.get(slug="ukraine-support-loan")
    facility = Instrument.objects.get(slug="ukraine-facility")
    budget = Component.objects.get(instrument=loan, slug="budget-support")
    extra = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=budget, name="Extra budget support", purpose="budget support",
                                     amount=THROUGH, stage=Stage.APPROVED, approved_on=datetime.date(2026, 7, 1))
    )  # fmt: skip
    through = tranche_services.disbursement_save(
        disbursement=DisbursementFactory.build(tranche=extra, amount_eur=THROUGH, value_date=datetime.date(2026, 7, 15),
                                               paid_through=facility)
    )  # fmt: skip
    other = tranche_services.instrument_save(
        instrument=InstrumentFactory.build(name="Test Facility", short_name="TF", slug="test-facility",
                                           amount=Decimal("10000000000.00"), period_start=datetime.date(2025, 1, 1))
    )  # fmt: skip
    component = tranche_services.component_save(
        component=ComponentFactory.build(instrument=other, amount=Decimal("10000000000.00"))
    )
    tranche = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=component, name="TF instalments", purpose="budget support",
                                     approved_on=datetime.date(2025, 1, 2))
    )  # fmt: skip
    payments = [
        tranche_services.disbursement_save(
            disbursement=DisbursementFactory.build(tranche=tranche, value_date=day, value_date_precision=precision)
        )
        for day, precision in (
            (datetime.date(2025, 5, 1), DatePrecision.MONTH),
            (datetime.date(2026, 6, 25), DatePrecision.APPROXIMATE),
        )
    ]
    answered = tranche_services.open_question_save(
        open_question=OpenQuestion(instrument=other, question="Was the May 2025 instalment paid in full?",
                                   open_since=datetime.date(2025, 5, 2), would_answer="The Test Facility's report.",
                                   answered_on=datetime.date(2025, 6, 1), answer="Yes, the report of June says so.")
    )  # fmt: skip
    released(extra, through, other, component, tranche, *payments, *cited(answered))
    snapshot = refreshed()
    services.chart_data_refresh(snapshot_id=snapshot.pk)
    return snapshot


def page_of(client: Any, path: str = "/") -> Any:
    response = client.get(path)
    assert response.status_code == 200
    return lxml_html.fromstring(response.content)


def text(element: Any) -> str:
    """What a reader reads in ``element``: its text with whitespace collapsed (a line break, a cell
    or a link starts a new word)."""
    return " ".join(" ".join(element.itertext()).split())


def day(value: datetime.date) -> str:
    return f"{value.day} {value:%b %Y}"


def as_known(value: datetime.date, precision: str) -> str:
    """A payment date as the pages must write it: the day, only the month, or around the day."""
    return {"month": f"{value:%b %Y}", "approximate": f"around {day(value)}"}.get(precision, day(value))


def test_the_dashboard_counts_each_euro_once_by_instrument_and_year(client: Any, recorded: FigureSnapshot) -> None:
    # Given the shipped record and a loan payment paid through the Facility
    payments = published_payments(recorded.release_id)

    # When a reader opens the dashboard
    section = page_of(client).get_element_by_id("money-by-instrument")

    # Then the all-instruments row adds the distinct published payments, each once, per year and in all
    total_row = text(section.xpath(".//tfoot/tr")[0])
    assert total_row.startswith("All instruments, each payment once")
    assert f"{eur(sum((p['amount_eur'] for p in payments), Decimal(0)))} {len(payments)} payments" in total_row
    for year in sorted({p["year"] for p in payments}):
        of_year = [p["amount_eur"] for p in payments if p["year"] == year]
        assert f"{eur(sum(of_year, Decimal(0)))} {len(of_year)} payment" in total_row
    # Each instrument's row is its own payments; the loan first, then the context instruments
    rows = {text(tr.xpath("./th")[0]).split(" (")[0]: tr for tr in section.xpath(".//tbody/tr")}
    assert next(iter(rows)) == "Ukraine Support Loan"
    for instrument in public_versions(Instrument, release=recorded.release_id):
        own = [p["amount_eur"] for p in payments if p["instrument_id"] == instrument.id]
        assert f"{eur(sum(own, Decimal(0)))} {len(own)} payment" in text(rows[instrument.name]), instrument.name
    # The payment that went through the Facility is a note there, never added to it
    facility_row = text(rows["Ukraine Facility"])
    assert f"linked: {eur(THROUGH)}, not added" in facility_row
    facility_id = Instrument.objects.get(slug="ukraine-facility").pk
    facility_paid = [p["amount_eur"] for p in payments if p["instrument_id"] == facility_id]
    assert f"{eur(sum(facility_paid, Decimal(0)))} {len(facility_paid)} payments" in facility_row
    assert (
        f"{eur(THROUGH)} of the Ukraine Support Loan (1 payment, 2026) went through the Ukraine Facility: "
        "counted under USL only, linked to UF, never added twice."
    ) in text(section).replace(" ,", ",")  # the short names are <abbr>s, spelled out on hover
    # The rules are written next to the table, and each row links to the payments it adds up
    for rule in recorded.payload["instrument_years"]["rules"]:
        assert rule in text(section)
    assert "Regulation (EU) 2026/468" in text(section)
    links = {a.text_content(): a.get("href") for a in section.xpath(".//tbody//a")}
    assert links["Ukraine Support Loan"] == "#tranches"
    assert links["Ukraine Facility"] == "#payments-ukraine-facility"


def claims_shown(element: Any, citations: list[Any], sources: dict[int, Any]) -> None:
    """Each claim is shown in ``element`` with its publisher, grade, quoted passage and a link to its
    source's address when it has one."""
    shown = text(element)
    links = {a.get("href") for a in element.xpath(".//a")}
    assert citations, f"no citation to look for in {shown[:80]}"
    for citation in citations:
        source = sources[citation.source_id]
        assert source.publisher in shown
        assert f"grade {source.grade}" in shown
        assert " ".join(citation.quote.split()) in shown
        if source.url:
            assert source.url in links


def test_the_other_instruments_payment_histories_show_each_payment_with_its_date_as_known(
    client: Any, recorded: FigureSnapshot
) -> None:
    # When a reader opens the dashboard
    page = page_of(client)

    # Then each context instrument lists its payments: the date as exactly as the sources know it,
    # the amount in the page's format and the sources of each payment
    release = recorded.release_id
    sources = {s.id: s for s in public_versions(Source, release=release)}
    citations: dict[int, list[Any]] = defaultdict(list)
    for citation in public_versions(Citation, release=release).filter(disbursement_id__isnull=False):
        citations[citation.disbursement_id].append(citation)
    context = {i.id: i for i in public_versions(Instrument, release=release) if i.slug != "ukraine-support-loan"}
    listed = [p for p in published_payments(release) if p["instrument_id"] in context]
    assert {context[p["instrument_id"]].slug for p in listed} >= {"ukraine-facility", "era-loans-eu-share"}
    precision = dict(public_versions(Disbursement, release=release).values_list("id", "value_date_precision"))
    for payment in listed:
        section = page.get_element_by_id(f"payments-{context[payment['instrument_id']].slug}")
        row = section.get_element_by_id(f"payment-{payment['id']}")
        cells = [text(cell) for cell in row.xpath("./td")]
        assert cells[0] == as_known(payment["value_date"], precision[payment["id"]])
        assert cells[1] == eur(payment["amount_eur"])
        claims_shown(row, citations[payment["id"]], sources)
    # The test instrument's payments: known to the month, and approximately
    test_facility = text(page.get_element_by_id("payments-test-facility"))
    assert "May 2025 €1.00bn TF instalments" in test_facility
    assert "around 25 Jun 2026 €1.00bn TF instalments" in test_facility
    assert "1 May 2025" not in test_facility
    # The loan's payment through the Facility is listed there as counted under the loan, not as its payment
    facility = page.get_element_by_id("payments-ukraine-facility")
    assert f"{eur(THROUGH)} on 15 Jul 2026: Extra budget support, counted under USL" in text(facility)
    assert "Extra budget support" not in text(facility.xpath(".//table")[0])
    # The loan's own table says where it went and when
    assert "Paid €1.50bn on 15 Jul 2026 through the UF (counted here, only linked there)" in text(
        page.get_element_by_id("tranches")
    )


def test_the_conditions_ledger_shows_steps_money_withheld_and_its_chart(client: Any, recorded: FigureSnapshot) -> None:
    # Given the published conditions, per payment they gate
    release = recorded.release_id
    conditions = list(public_versions(Condition, release=release))
    tranches = {t.id: t for t in public_versions(Tranche, release=release)}
    sources = {s.id: s for s in public_versions(Source, release=release)}
    gated: dict[int, list[Any]] = defaultdict(list)
    for condition in conditions:
        if condition.tranche_id is not None:
            gated[condition.tranche_id].append(condition)

    # When a reader opens the dashboard
    page = page_of(client)
    section = page.get_element_by_id("conditions")

    # Then each gated payment shows its steps met of those due, the outcome the numbers give, the
    # money withheld and until when it can be recovered, and the sources of its conditions
    outcomes = set()
    for tranche_id, of_payment in gated.items():
        row = section.get_element_by_id(f"ledger-{tranche_id}")
        cells = [text(cell) for cell in row.xpath("./td")]
        due = sum(c.steps_due for c in of_payment)
        assessed = [c for c in of_payment if c.steps_met is not None]
        met = sum(c.steps_met for c in assessed) if assessed else None
        outcome = condition_outcome(due, met if len(assessed) == len(of_payment) else None)
        outcomes.add(outcome)
        assert text(row.xpath("./th")[0]).startswith(tranches[tranche_id].name)
        assert cells[0].startswith(f"{met} of {due}" if met is not None else f"— of {due}")
        assert cells[1] == outcome.label
        withheld = [c.amount_withheld for c in of_payment if c.amount_withheld is not None]
        assert cells[4] == (eur(sum(withheld, Decimal(0))) if withheld else "—")
        until = [c.recoverable_until for c in of_payment if c.recoverable_until is not None]
        assert cells[5] == (day(min(until)) if until else "—")
        claims_shown(row, [c for c in public_versions(Citation, release=release) if c.condition_id in
                           {x.id for x in of_payment}], sources)  # fmt: skip
    assert "Partly met" in {outcome.label for outcome in outcomes}  # the Facility's 4th payment: 13 of 16
    # Conditions not assessed yet are listed with their sources
    for condition in conditions:
        if condition.steps_met is None:
            assert condition.title in text(section.get_element_by_id(f"condition-{condition.id}"))

    # And the chart draws the steps met and not met of each assessed payment: its CSV holds exactly
    # the table's numbers, its source line names the publishers of the conditions' citations
    chart = recorded_chart(recorded)
    assessed_payments = [t for t, of in gated.items() if all(c.steps_met is not None for c in of)]
    assert [row[0] for row in chart["rows"]] == [
        tranches[row["tranche_id"]].name
        for row in recorded.payload["conditions"]["ledger"]
        if row["tranche_id"] in assessed_payments
    ]
    for row in chart["rows"]:
        assert row[2] + row[3] == row[4]
    traces = {trace["name"]: trace for trace in chart["figure"]["data"]}
    assert traces["Steps met"]["x"] == [row[2] for row in chart["rows"]]
    assert traces["Steps not met"]["x"] == [row[3] for row in chart["rows"]]
    body = client.get(f"/releases/{release}/charts/conditions.csv").content.decode()
    assert list(csv.reader(io.StringIO(body)))[1:] == [[str(cell) for cell in row] for row in chart["rows"]]
    assert f'href="/releases/{release}/charts/conditions.csv"' in lxml_html.tostring(section).decode()
    for tranche_id in assessed_payments:
        for condition in gated[tranche_id]:
            for citation in public_versions(Citation, release=release).filter(condition_id=condition.id):
                assert sources[citation.source_id].publisher in chart["source"]
    embed = page_of(client, "/embed/conditions/")
    assert text(embed.xpath("//h1")[0]) == "Reform steps met per payment"


def recorded_chart(snapshot: FigureSnapshot) -> dict[str, Any]:
    from reports import selectors

    chart_data = selectors.chart_data_for(snapshot)
    assert chart_data is not None
    return chart_data.payload["charts"]["conditions"]


def test_milestones_estimates_and_open_questions_each_with_its_sources(client: Any, recorded: FigureSnapshot) -> None:
    release = recorded.release_id
    sources = {s.id: s for s in public_versions(Source, release=release)}
    citations = list(public_versions(Citation, release=release))

    def of(field: str, pk: int) -> list[Any]:
        return [c for c in citations if getattr(c, f"{field}_id") == pk]

    # When a reader opens the dashboard
    page = page_of(client)

    # Then each milestone shows what was planned (a day, or the plan in the source's words), when it
    # happened, how many days late, and its sources
    for milestone in public_versions(Milestone, release=release):
        cells = [text(cell) for cell in page.get_element_by_id(f"milestone-{milestone.id}").xpath("./td")]
        planned = day(milestone.planned_on) if milestone.planned_on else ""
        if milestone.planned_note:
            assert f"“{milestone.planned_note}”" in cells[0]
        assert cells[0].startswith(planned or ("“" if milestone.planned_note else "—"))
        assert cells[1] == (day(milestone.happened_on) if milestone.happened_on else "not yet")
        late = (
            (milestone.happened_on - milestone.planned_on).days
            if milestone.planned_on and milestone.happened_on
            else "—"
        )
        assert cells[2] == str(late)
        claims_shown(page.get_element_by_id(f"milestone-{milestone.id}"), of("milestone", milestone.id), sources)
    # Estimates each in their own box, labelled as estimates, with their qualifier, per year and
    # period, and their sources
    for estimate in public_versions(Estimate, release=release):
        box = page.get_element_by_id(f"estimate-{estimate.id}")
        amount = " ".join(filter(None, [estimate.qualifier, eur(estimate.amount)])) + (
            " a year" if estimate.per_year else ""
        )
        assert text(box).startswith("Estimate · ")
        assert text(box.xpath(".//p[@class='amount']")[0]) == amount
        claims_shown(box, of("estimate", estimate.id), sources)
    # What is not known yet: since when and what would answer it; an answered question with its date
    questions = page.get_element_by_id("not-known-yet")
    for question in public_versions(OpenQuestion, release=release):
        item = text(questions.get_element_by_id(f"question-{question.id}"))
        assert item.startswith(question.question)
        if question.answered_on is None:
            assert f"Open since {day(question.open_since)}." in item
            assert f"What would answer it: {' '.join(question.would_answer.split())}" in item
        else:
            assert f"Open since {day(question.open_since)}, answered {day(question.answered_on)}." in item
            assert question.answer in item
        if of("open_question", question.id):
            claims_shown(questions.get_element_by_id(f"question-{question.id}"), of("open_question", question.id),
                         sources)  # fmt: skip
    answered = questions.xpath(".//ul[contains(@class, 'answered')]")[0]
    assert "Was the May 2025 instalment paid in full?" in text(answered)


def test_long_histories_show_their_newest_rows_and_point_to_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a context instrument with three tranches planned and paid, one payment each, published
    component = ComponentFactory(instrument=InstrumentFactory(slug="long-history"))
    records: list[Any] = [component.instrument, component]
    for month in (1, 2, 3):
        tranche = TrancheFactory(component=component, stage=Stage.DISBURSED, amount=Decimal("1000000000.00"),
                                 planned_on=datetime.date(2026, month, 1), approved_on=None,
                                 disbursed_on=datetime.date(2026, month, 20))  # fmt: skip
        records += [tranche, DisbursementFactory(tranche=tranche, value_date=datetime.date(2026, month, 20))]
    released(*records)
    payload = refreshed().payload

    # When the pages' sections are built with room for two rows per list
    monkeypatch.setattr(instruments, "PAYMENT_HISTORY_MAX", 2)
    record = instruments.record_build(payload, main=None)

    # Then the newest two payments and plans are listed, and the rest counted for the API to list
    history = next(h for h in record["payments"] if h["slug"] == "long-history")
    assert [p["date"] for p in history["payments"]] == ["20 Feb 2026", "20 Mar 2026"]
    assert (history["count"], history["not_shown"]) == (3, 1)
    plans = next(m for m in record["milestones"] if m["slug"] == "long-history")
    assert [t["planned"] for t in plans["tranches"]] == ["1 Feb 2026", "1 Mar 2026"]
    assert [t["days"] for t in plans["tranches"]] == [
        (datetime.date(2026, month, 20) - datetime.date(2026, month, 1)).days for month in (2, 3)
    ]
    assert plans["tranches_not_shown"] == 1
