"""The record around the money in the API: milestones (planned vs actual), conditions (the outcome
derived from the steps, and the ledger of the payments they gate), estimates and open questions;
each listed as releases published it, with its instrument, tranche and quoted sources; payments
with how exactly their date is known and the instrument they went through; the change log naming
the new kinds in words."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from tests.api.conftest import BN, results
from tests.factories import ComponentFactory, DisbursementFactory, InstrumentFactory, SourceFactory, TrancheFactory
from tests.releases import released
from tranches import services
from tranches.models import (
    Citation,
    Condition,
    ConditionOutcome,
    DatePrecision,
    Estimate,
    EstimateKind,
    Grade,
    Milestone,
    MilestoneKind,
    OpenQuestion,
    Publishable,
    Qualifier,
    Source,
    Stage,
    condition_outcome,
)

pytestmark = pytest.mark.django_db
RESOURCES = ("milestones", "conditions", "estimates", "open-questions")


def cite(record: Publishable, source: Source, quote: str, figure: str = "amount") -> Citation:
    """A draft citation of ``source`` backing ``record``."""
    target = Citation.target_field(type(record))
    return services.citation_save(citation=Citation(source=source, quote=quote, figure=figure, **{target: record}))


def condition(**fields: Any) -> Condition:
    return services.condition_save(condition=Condition(**fields))


def milestone(**fields: Any) -> Milestone:
    return services.milestone_save(milestone=Milestone(**fields))


@pytest.fixture
def facility() -> SimpleNamespace:
    """The Ukraine Facility's fourth payment, published as Release 1: €3.2bn paid of a possible
    €4.5bn because 13 of its 16 reform steps were met, the payment planned for early April and
    made on 25 June, Ukraine's financing needs, and a question still open; each backed by a quoted
    passage of a Commission press release."""
    uf = InstrumentFactory(name="Ukraine Facility", short_name="UF", slug="ukraine-facility")
    loans = ComponentFactory(instrument=uf, name="Loans", slug="loans", amount=Decimal("33000000000.00"))
    fourth = TrancheFactory(component=loans, name="Fourth payment", slug="fourth", amount=Decimal("4.5") * BN)
    payment = DisbursementFactory(tranche=fourth, amount_eur=Decimal("3.2") * BN, value_date=datetime.date(2026, 6, 25))
    press = services.source_save(
        source=SourceFactory.build(
            publisher="European Commission",
            title="Fourth payment under the Ukraine Facility",
            url="https://ec.europa.eu/commission/presscorner/fourth",
            grade=Grade.A,
        )
    )
    steps = condition(
        instrument=uf, tranche=fourth, title="Reform steps of the fourth payment", area="public finance",
        steps_due=16, steps_met=13, assessed_on=datetime.date(2026, 6, 10), amount_at_stake=Decimal("4.5") * BN,
        amount_withheld=Decimal("1.3") * BN, recoverable_until=datetime.date(2027, 6, 10),
    )  # fmt: skip
    paid = milestone(
        instrument=uf, tranche=fourth, kind=MilestoneKind.PAYMENT, title="Fourth payment made",
        planned_on=datetime.date(2026, 4, 1), planned_note="early April", happened_on=datetime.date(2026, 6, 25),
    )  # fmt: skip
    proposal = milestone(
        instrument=uf, kind=MilestoneKind.PROPOSAL, title="Commission proposal", happened_on=datetime.date(2023, 6, 20)
    )
    needs = services.estimate_save(
        estimate=Estimate(
            kind=EstimateKind.NEEDS,
            title="Ukraine's external financing needs",
            amount=Decimal("60") * BN,
            qualifier=Qualifier.ABOUT,
            per_year=True,
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2027, 12, 31),
        )
    )
    fifth = services.open_question_save(
        open_question=OpenQuestion(
            instrument=uf,
            question="When will the fifth payment be made?",
            open_since=datetime.date(2026, 6, 25),
            would_answer="A Council implementing decision on the fifth payment",
        )
    )
    citations = [
        cite(steps, press, "13 of the 16 steps were fulfilled", "steps met"),
        cite(paid, press, "The Commission disbursed €3.2 billion on 25 June", "date happened"),
        cite(proposal, press, "proposed on 20 June 2023", "date happened"),
        cite(needs, press, "needs of about €60 billion a year", "amount"),
    ]
    released(uf, loans, fourth, payment, steps, paid, proposal, needs, fifth, press, *citations, note="Facility")
    return SimpleNamespace(
        uf=uf, fourth=fourth, payment=payment, press=press, steps=steps, paid=paid, proposal=proposal, needs=needs,
        fifth=fifth,
    )  # fmt: skip


def by_id(client, resource: str, query: str = "") -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in results(client.get(f"/api/v1/{resource}/?page_size=500&{query}"))}


# ----------------------------------------------------------------------------- what is listed


def test_each_resource_lists_what_a_release_published_never_a_draft(client, facility):
    # Given a draft of each kind, and a draft edit of each published record
    uf = facility.uf
    drafts = [
        milestone(instrument=uf, kind=MilestoneKind.OTHER, title="DRAFT", planned_on=datetime.date(2027, 1, 1)),
        condition(instrument=uf, title="DRAFT condition", steps_due=3),
        services.estimate_save(
            estimate=Estimate(
                kind=EstimateKind.INTEREST, title="DRAFT estimate", amount=BN, period_start=datetime.date(2026, 1, 1)
            )
        ),
        services.open_question_save(
            open_question=OpenQuestion(
                question="DRAFT question?", open_since=datetime.date(2026, 7, 1), would_answer="DRAFT answer source"
            )
        ),
    ]
    for record in (facility.steps, facility.paid, facility.needs, facility.fifth):
        field = "question" if isinstance(record, OpenQuestion) else "title"
        setattr(record, field, "DRAFT edit")
        services.SAVERS[type(record)](record)

    # When the public reads each resource, as a list and in detail
    lists = {resource: client.get(f"/api/v1/{resource}/?page_size=500") for resource in RESOURCES}

    # Then it sees what Release 1 published, and no draft
    published = {
        "milestones": {facility.paid.pk, facility.proposal.pk},
        "conditions": {facility.steps.pk},
        "estimates": {facility.needs.pk},
        "open-questions": {facility.fifth.pk},
    }
    for resource, response in lists.items():
        assert {row["id"] for row in results(response)} == published[resource], resource
        assert b"DRAFT" not in response.content, resource
    for resource, record in zip(RESOURCES, drafts, strict=True):
        assert client.get(f"/api/v1/{resource}/{record.pk}/").status_code == 404, resource
    shown = client.get(f"/api/v1/conditions/{facility.steps.pk}/").json()
    assert shown["title"] == "Reform steps of the fourth payment"  # the published version, not the draft edit


def test_release_n_shows_the_record_as_release_n_published_it(client, facility):
    # Given the fifth payment's question answered by Release 2
    fifth = facility.fifth
    fifth.answered_on, fifth.answer = datetime.date(2026, 9, 1), "Paid on 1 September 2026"
    services.open_question_save(open_question=fifth)
    released(fifth, note="The fifth payment came")

    # Then Release 1 still shows it open, and the latest release answered
    pinned = client.get(f"/api/v1/open-questions/{fifth.pk}/?release=1").json()
    latest = client.get(f"/api/v1/open-questions/{fifth.pk}/").json()
    assert (pinned["is_open"], pinned["answered_on"], pinned["answer"]) == (True, None, "")
    assert (latest["is_open"], latest["answered_on"], latest["answer"]) == (False, "2026-09-01", fifth.answer)
    assert [row["id"] for row in results(client.get("/api/v1/open-questions/?release=1&is_open=true"))] == [fifth.pk]
    assert results(client.get("/api/v1/open-questions/?is_open=true")) == []
    assert [row["id"] for row in results(client.get("/api/v1/open-questions/?is_open=false"))] == [fifth.pk]


def test_rows_carry_their_instrument_tranche_and_quoted_sources(client, facility):
    row = client.get(f"/api/v1/milestones/{facility.paid.pk}/").json()
    assert (row["instrument"], row["instrument_slug"], row["instrument_short_name"]) == (
        facility.uf.pk, "ukraine-facility", "UF",
    )  # fmt: skip
    assert (row["tranche"], row["tranche_name"]) == (facility.fourth.pk, "Fourth payment")
    [quoted] = row["citations"]
    assert quoted["quote"] == "The Commission disbursed €3.2 billion on 25 June"
    assert (quoted["source_publisher"], quoted["source_title"], quoted["source_grade"], quoted["source_url"]) == (
        "European Commission", "Fourth payment under the Ukraine Facility", "A",
        "https://ec.europa.eu/commission/presscorner/fourth",
    )  # fmt: skip
    assert (quoted["figure"], quoted["is_used"]) == ("date happened", True)
    # An estimate about no instrument in particular says so.
    needs = client.get(f"/api/v1/estimates/{facility.needs.pk}/").json()
    assert (needs["instrument"], needs["instrument_slug"]) == (None, None)
    # The citations resource names the new kinds of record they back.
    backing = results(client.get(f"/api/v1/citations/?milestone={facility.paid.pk}"))
    assert [c["target"] for c in backing] == [{"type": "milestone", "id": facility.paid.pk}]
    assert [c["target"]["type"] for c in results(client.get(f"/api/v1/citations/?estimate={facility.needs.pk}"))] == [
        "estimate"
    ]


# ----------------------------------------------------------------------------------- milestones


def test_a_milestone_gives_planned_and_actual_dates_and_how_late(client, facility):
    paid = client.get(f"/api/v1/milestones/{facility.paid.pk}/").json()
    assert (paid["planned_on"], paid["planned_note"]) == ("2026-04-01", "early April")
    assert paid["happened_on"] == "2026-06-25"
    assert paid["days_late"] == (facility.paid.happened_on - facility.paid.planned_on).days
    proposal = client.get(f"/api/v1/milestones/{facility.proposal.pk}/").json()
    assert (proposal["planned_on"], proposal["days_late"], proposal["date"]) == (None, None, "2023-06-20")


def test_milestones_filter_by_instrument_kind_and_tranche(client, facility):
    ids = lambda query: [row["id"] for row in results(client.get(f"/api/v1/milestones/?{query}"))]  # noqa: E731
    assert ids("instrument=ukraine-facility") == [facility.proposal.pk, facility.paid.pk]  # by date
    assert ids(f"instrument={facility.uf.pk}&kind=payment") == [facility.paid.pk]
    assert ids("kind=proposal&kind=payment&ordering=-date") == [facility.paid.pk, facility.proposal.pk]
    assert ids(f"tranche={facility.fourth.pk}") == [facility.paid.pk]
    assert ids("instrument=ukraine-support-loan") == []
    assert ids("search=early%20april") == [facility.paid.pk]
    refused = client.get("/api/v1/milestones/?kind=rumour")
    assert refused.status_code == 400
    assert set(refused.json()["error"]["parameters"]) == {"kind"}


# ----------------------------------------------------------------------------------- conditions


def test_13_of_16_steps_met_is_partly_met_derived_never_stored(client, facility):
    row = client.get(f"/api/v1/conditions/{facility.steps.pk}/").json()
    assert (row["steps_met"], row["steps_due"]) == (13, 16)
    assert row["outcome"] == "partly_met"
    assert (row["amount_at_stake"], row["amount_withheld"], row["recoverable_until"]) == (
        "4500000000.00", "1300000000.00", "2027-06-10",
    )  # fmt: skip
    assert [c["quote"] for c in row["citations"]] == ["13 of the 16 steps were fulfilled"]


@pytest.mark.parametrize(("steps_due", "steps_met"), [(16, 13), (16, 16), (16, 0), (16, None), (1, 1), (1, 0), (2, 1)])
def test_the_outcome_filter_picks_what_the_outcome_rule_says(client, facility, steps_due, steps_met):
    # Given a published condition with these steps
    assessed = datetime.date(2026, 6, 1) if steps_met is not None else None
    record = condition(
        instrument=facility.uf, title="Steps", steps_due=steps_due, steps_met=steps_met, assessed_on=assessed
    )
    released(record, cite(record, facility.press, "the steps"), facility.press)

    # Then its outcome is the rule's, and each outcome filter lists it exactly when it is that outcome
    expected = condition_outcome(steps_due, steps_met)
    assert client.get(f"/api/v1/conditions/{record.pk}/").json()["outcome"] == expected
    for outcome in ConditionOutcome.values:
        listed = record.pk in by_id(client, "conditions", f"outcome={outcome}")
        assert listed == (outcome == expected), outcome


def test_conditions_filter_by_instrument_tranche_and_assessment_day(client, facility):
    ids = lambda query: set(by_id(client, "conditions", query))  # noqa: E731
    assert ids("instrument=ukraine-facility&tranche=fourth") == {facility.steps.pk}
    assert ids("assessed_on_after=2026-06-10&assessed_on_before=2026-06-10") == {facility.steps.pk}
    assert ids("assessed_on_after=2026-06-11") == set()
    assert ids("outcome=met&outcome=not_met") == set()
    assert ids("outcome=partly_met&outcome=met") == {facility.steps.pk}


def test_the_ledger_sums_each_gated_payment(client, facility):
    # Given a second, smaller condition on the same payment and a second payment of it, and a draft
    # condition of another tranche
    extra = condition(
        instrument=facility.uf, tranche=facility.fourth, title="Memorandum area", steps_due=4, steps_met=4,
        assessed_on=datetime.date(2026, 6, 12), amount_at_stake=Decimal("0.5") * BN, amount_withheld=Decimal("0"),
        recoverable_until=datetime.date(2027, 3, 1),
    )  # fmt: skip
    topup = DisbursementFactory(
        tranche=facility.fourth, amount_eur=Decimal("0.2") * BN, value_date=datetime.date(2026, 6, 30)
    )
    released(extra, cite(extra, facility.press, "all four met"), facility.press, topup)
    other = TrancheFactory(component=facility.fourth.component, slug="fifth", stage=Stage.PLANNED,
                           approved_on=None, planned_on=datetime.date(2026, 9, 1))  # fmt: skip
    released(other)
    condition(instrument=facility.uf, tranche=other, title="DRAFT", steps_due=2)

    # When the ledger is read
    response = client.get("/api/v1/conditions/ledger/")

    # Then the payment's row is the sum of its conditions and of its payments
    assert response.status_code == 200, response.content
    [row] = response.json()
    conditions = [facility.steps, extra]
    assert (row["tranche"], row["tranche_name"], row["instrument_slug"]) == (
        facility.fourth.pk, "Fourth payment", "ukraine-facility",
    )  # fmt: skip
    assert (row["conditions"], row["conditions_assessed"]) == (len(conditions), len(conditions))
    assert row["steps_due"] == sum(c.steps_due for c in conditions)
    assert row["steps_met"] == sum(c.steps_met for c in conditions)
    assert row["outcome"] == condition_outcome(row["steps_due"], row["steps_met"]) == "partly_met"
    assert Decimal(row["amount_at_stake"]) == sum(c.amount_at_stake for c in conditions)
    assert Decimal(row["amount_withheld"]) == sum(c.amount_withheld for c in conditions)
    assert row["recoverable_until"] == min(c.recoverable_until for c in conditions).isoformat()
    assert Decimal(row["paid"]) == facility.payment.amount_eur + topup.amount_eur
    assert Decimal(row["tranche_amount"]) == facility.fourth.amount
    # Release 1, pinned, had one condition and one payment.
    [first] = client.get("/api/v1/conditions/ledger/?release=1").json()
    assert (first["steps_due"], first["steps_met"], Decimal(first["paid"])) == (
        facility.steps.steps_due, facility.steps.steps_met, facility.payment.amount_eur,
    )  # fmt: skip
    assert client.get("/api/v1/conditions/ledger/?instrument=ukraine-support-loan").json() == []


def test_a_payment_with_a_condition_not_assessed_yet_is_not_assessed_in_the_ledger(client, facility):
    pending = condition(instrument=facility.uf, tranche=facility.fourth, title="Pending step", steps_due=1)
    released(pending, cite(pending, facility.press, "one more step"), facility.press)
    [row] = client.get("/api/v1/conditions/ledger/").json()
    assert (row["conditions"], row["conditions_assessed"]) == (2, 1)
    assert row["steps_met"] == facility.steps.steps_met
    assert row["outcome"] == "not_assessed"


# ------------------------------------------------------------------------ estimates, questions


def test_estimates_filter_by_kind_and_instrument(client, facility):
    cost = services.estimate_save(
        estimate=Estimate(
            instrument=facility.uf,
            kind=EstimateKind.INTEREST,
            title="Interest cost",
            amount=Decimal("1.2") * BN,
            qualifier=Qualifier.UP_TO,
            period_start=datetime.date(2026, 1, 1),
        )
    )
    released(cost, cite(cost, facility.press, "up to €1.2 billion"), facility.press)
    assert set(by_id(client, "estimates", "kind=interest")) == {cost.pk}
    assert set(by_id(client, "estimates", "kind=interest&kind=needs")) == {cost.pk, facility.needs.pk}
    assert set(by_id(client, "estimates", "instrument=ukraine-facility")) == {cost.pk}
    needs = by_id(client, "estimates")[facility.needs.pk]
    assert (needs["amount"], needs["qualifier"], needs["per_year"], needs["period_end"]) == (
        "60000000000.00", "about", True, "2027-12-31",
    )  # fmt: skip
    assert client.get("/api/v1/open-questions/?is_open=perhaps").status_code == 400


# ------------------------------------------------------------------------------------ payments


def test_a_payment_says_how_exactly_its_date_is_known_and_what_it_went_through(client, facility):
    # Given a loan payment known only to the month, paid through the Facility
    usl = InstrumentFactory(name="Ukraine Support Loan", short_name="USL", slug="usl")
    budget = TrancheFactory(component=ComponentFactory(instrument=usl), slug="budget", purpose="budget support")
    through = DisbursementFactory(
        tranche=budget, amount_eur=BN, value_date=datetime.date(2026, 6, 1),
        value_date_precision=DatePrecision.MONTH, paid_through=facility.uf,
    )  # fmt: skip
    released(usl, budget.component, budget, through)

    rows = {row["id"]: row for row in results(client.get("/api/v1/disbursements/?page_size=500"))}
    assert (rows[through.pk]["value_date_precision"], rows[through.pk]["value_date"]) == ("month", "2026-06-01")
    assert (rows[through.pk]["paid_through"], rows[through.pk]["paid_through_slug"]) == (
        facility.uf.pk, "ukraine-facility",
    )  # fmt: skip
    assert rows[through.pk]["instrument_slug"] == "usl"  # counted under its own instrument
    mine = rows[facility.payment.pk]
    assert (mine["value_date_precision"], mine["paid_through"], mine["paid_through_slug"]) == ("day", None, None)


# ---------------------------------------------------------------------------------- change log


def test_the_change_log_names_the_new_kinds_in_words(client, facility):
    changes = client.get("/api/v1/changes/?entity=milestone&entity=open_question&entity=condition").json()["results"]
    labels = {(c["entity"], c["id"]): c["label"] for c in changes}
    assert labels[("milestone", facility.paid.pk)] == "Fourth payment made"
    assert labels[("open_question", facility.fifth.pk)] == "When will the fifth payment be made?"
    steps = next(c for c in changes if c["entity"] == "condition")
    fields = {f["field"]: f for f in steps["changes"]}
    assert (fields["tranche"]["new"], fields["tranche"]["new_text"]) == (facility.fourth.pk, "Fourth payment")
    assert fields["amount_withheld"]["new_text"] == "€1,300,000,000.00"
    cited = client.get("/api/v1/changes/?entity=citation").json()["results"]
    assert "Citation of “Fourth payment under the Ukraine Facility” for the date happened of “Fourth payment made”" in {
        c["label"] for c in cited
    }


# ------------------------------------------------------------------------------------ exports


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://evil")', "+1+1", "@SUM(A1)"])
def test_csv_exports_neutralise_formulas(client, facility, formula):
    # Given a milestone and a tranche whose names start like a spreadsheet formula
    record = milestone(instrument=facility.uf, kind=MilestoneKind.OTHER, title=formula,
                       planned_on=datetime.date(2026, 12, 31))  # fmt: skip
    facility.fourth.name = formula
    services.tranche_save(tranche=facility.fourth)
    released(record, cite(record, facility.press, formula), facility.press, facility.fourth)

    # Then their CSV cells start with an apostrophe (the nested citations too, as JSON text)
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/milestones/?format=csv").content.decode())))
    row = next(r for r in rows if r["id"] == str(record.pk))
    assert row["title"] == "'" + formula
    ledger = list(csv.DictReader(io.StringIO(client.get("/api/v1/conditions/ledger/?format=csv").content.decode())))
    assert ledger[0]["tranche_name"] == "'" + formula
    for resource in (*RESOURCES, "conditions/ledger"):
        response = client.get(f"/api/v1/{resource}/?format=xlsx")
        assert response.status_code == 200, resource
        assert response["Content-Disposition"].startswith("attachment; filename=")


def test_an_empty_export_keeps_its_header_row(client, db):
    released(InstrumentFactory())
    header = client.get("/api/v1/conditions/ledger/?format=csv").content.decode().splitlines()
    assert header[0].startswith("tranche,tranche_name,tranche_amount,instrument")
    assert len(header) == 1


# ------------------------------------------------------------------------------------- queries


ROWS = 10


@pytest.fixture
def many(facility) -> int:
    """ROWS more tranches, each with a payment, a milestone, a condition and an estimate (each cited)
    and an open question, published in one release."""
    records: list[Publishable] = [facility.press]
    for n in range(ROWS):
        tranche = TrancheFactory(component=facility.fourth.component, slug=f"t{n}", amount=Decimal("100000000.00"))
        payment = DisbursementFactory(
            tranche=tranche, amount_eur=Decimal("10000000.00"), value_date=datetime.date(2026, 6, 1 + n)
        )
        records += [tranche, payment]
        for record in (
            milestone(instrument=facility.uf, tranche=tranche, kind=MilestoneKind.PAYMENT, title=f"M{n}",
                      planned_on=datetime.date(2026, 5, 1), happened_on=datetime.date(2026, 6, 1)),
            condition(instrument=facility.uf, tranche=tranche, title=f"C{n}", steps_due=3, steps_met=n % 4,
                      assessed_on=datetime.date(2026, 6, 1)),
            services.estimate_save(estimate=Estimate(instrument=facility.uf, kind=EstimateKind.NEEDS, title=f"E{n}",
                                                     amount=BN, period_start=datetime.date(2026, 1, 1))),
        ):  # fmt: skip
            records += [record, cite(record, facility.press, f"passage {n}")]
        records.append(
            services.open_question_save(
                open_question=OpenQuestion(question=f"Q{n}?", open_since=datetime.date(2026, 6, 1), would_answer="x")
            )
        )
    released(*records)
    return ROWS


# The state (1), the count and Last-Modified (1), the page (1), then the page's instruments,
# tranches, citations and their sources (1 each, none when the page names none; estimates and
# open questions have no tranche). The ledger: the state, the sums per tranche, then the tranches,
# their components and their payments. The change log: the state, then one per kind of record.
QUERIES = {
    "/api/v1/milestones/": 7,
    "/api/v1/conditions/": 7,
    "/api/v1/estimates/": 6,
    "/api/v1/open-questions/": 6,
    "/api/v1/conditions/ledger/": 5,
    "/api/v1/changes/": 11,
}
# How many rows each list holds beyond the ROWS added: the facility's own.
FACILITY_ROWS = {"milestones": 2, "conditions": 1, "estimates": 1, "open-questions": 1, "conditions/ledger": 1}


def test_queries_do_not_grow_with_the_rows(client, many, django_assert_max_num_queries):
    for path, queries in QUERIES.items():
        for page_size in (1, 200):
            with django_assert_max_num_queries(queries):
                response = client.get(f"{path}?page_size={page_size}")
            assert response.status_code == 200, (path, response.content[:200])
            body = response.json()
            shown = body if isinstance(body, list) else body["results"]
            name = path.removeprefix("/api/v1/").removesuffix("/")
            if name == "changes":
                assert len(shown) == 1 if page_size == 1 else len(shown) > many, path
            elif name == "conditions/ledger":  # one list, no pages
                assert len(shown) == many + FACILITY_ROWS[name]
            else:
                assert len(shown) == min(page_size, many + FACILITY_ROWS[name]), (path, page_size)
    # A CSV export of every row streams at the cost of a page.
    with django_assert_max_num_queries(QUERIES["/api/v1/conditions/"]):
        response = client.get("/api/v1/conditions/?format=csv&page_size=1000")
    assert response.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))) == many + 1


# -------------------------------------------------------------------------------------- schema


def test_the_schema_documents_the_new_resources_and_their_filters(client, db):
    openapi = client.get("/api/schema/?format=json").json()
    parameters = {
        path: {p["name"] for p in openapi["paths"][path]["get"].get("parameters", [])}
        for path in (
            "/api/v1/milestones/", "/api/v1/conditions/", "/api/v1/conditions/ledger/", "/api/v1/estimates/",
            "/api/v1/open-questions/",
        )
    }  # fmt: skip
    assert {"instrument", "kind", "tranche", "search", "ordering", "page"} <= parameters["/api/v1/milestones/"]
    assert {"instrument", "tranche", "outcome", "assessed_on_after", "assessed_on_before"} <= parameters[
        "/api/v1/conditions/"
    ]
    assert {"instrument", "tranche", "as_of", "release", "format"} <= parameters["/api/v1/conditions/ledger/"]
    assert {"kind", "instrument"} <= parameters["/api/v1/estimates/"]
    assert {"is_open", "instrument"} <= parameters["/api/v1/open-questions/"]
    schemas = openapi["components"]["schemas"]
    outcome = schemas["Condition"]["properties"]["outcome"]
    assert "derived" in outcome["description"].lower()
    assert "never added to money paid" in schemas["Estimate"]["properties"]["amount"]["description"].lower()
    assert {"value_date_precision", "paid_through", "paid_through_slug"} <= set(schemas["Disbursement"]["properties"])
    assert {"milestone", "condition", "estimate", "open_question"} <= set(
        next(s for s in schemas.values() if set(s.get("enum", [])) >= {"instrument", "open_question", "tranche"})[
            "enum"
        ]
    )
