"""The charts the server draws (public/sketches.py), shown until plotly.js draws them: on the
charted dataset, the bars and steps a reader sees are in proportion to the exact amounts of the
chart's own table, in either language, and markup in the data stays text."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import lxml.html
import pytest
from django.utils import translation

from public.sketches import Sketch, sketch
from reports.charts import ACTUAL_SERIES, charts_for
from reports.charts.conditions import _conditions_chart
from reports.selectors import chart_data_latest
from tests.reports.conftest import HOSTILE_NAME


def charts_in(language: str) -> dict[str, Any]:
    chart_data = chart_data_latest()
    assert chart_data is not None
    with translation.override(language):
        return charts_for(chart_data.payload, language)


def ticks_at(ticks: Any, first: str, second: str) -> tuple[float, float]:
    """Where two ticks sit (per cent of the width), by their labels."""
    at = {tick.label: tick.at for tick in ticks}
    assert first in at, list(at)
    assert second in at, list(at)
    return at[first], at[second]


def test_each_stage_bar_is_in_proportion_to_the_components_exact_amounts(charted: Any) -> None:
    # Given the stages chart of the charted dataset
    chart = charts_in("en-gb")["stages"]
    # When the server sketches it
    drawn = sketch(chart["figure"])
    # Then each component is a row, named as in the table, whose bars add up to its amount and split
    # it as the table does, on the scale the axis ticks say (from "€0bn" to the last tick)
    columns = [column["key"] for column in chart["columns"]]
    zero, end = drawn.x_ticks[0], drawn.x_ticks[-1]
    assert zero.label == "€0bn"
    per_billion = (end.at - zero.at) / float(re.sub(r"[^\d.]", "", end.label))
    assert [row.label for row in drawn.rows] == [row[0] for row in chart["rows"]]
    for row, table_row in zip(drawn.rows, chart["rows"], strict=True):
        cells = dict(zip(columns, table_row, strict=True))
        stages = [key for key in columns if key not in ("component", "amount")]
        widths = [width for _, width, _ in row.bars]
        expected = [float(Decimal(cells[stage]) / 1_000_000_000) * per_billion for stage in stages]
        assert widths == pytest.approx(expected, abs=0.02), (row.label, widths, expected)
        assert sum(widths) == pytest.approx(float(Decimal(cells["amount"]) / 1_000_000_000) * per_billion, abs=0.05)


def test_the_pace_line_steps_up_on_each_payments_day(charted: Any) -> None:
    # Given the pace chart, whose table lists the cumulative amount paid at each payment's date
    chart = charts_in("en-gb")["pace"]
    paid = [(datetime.date.fromisoformat(day), Decimal(amount)) for series, day, amount in chart["rows"]
            if series == ACTUAL_SERIES]  # fmt: skip
    # When the server sketches it
    drawn = sketch(chart["figure"])
    # Then the disbursed line rises straight up at each date the amount paid grew, where the date
    # axis puts that day between its January ticks
    jan_2026, jan_2027 = ticks_at(drawn.x_ticks, "Jan 2026", "Jan 2027")
    rises = {round(s.x1, 1) for s in drawn.segments if s.x1 == s.x2 and s.y2 < s.y1 and not s.dashed}
    expected = {
        round(jan_2026 + (jan_2027 - jan_2026) * (day - datetime.date(2026, 1, 1)).days / 365, 1)
        for (day, amount), (_, before) in zip(paid[1:], paid, strict=False)
        if amount > before
    }
    assert expected, paid
    assert {round(x) for x in rises} == {round(x) for x in expected}, (rises, expected, paid)


def test_in_ukrainian_the_ticks_are_ukrainian_and_every_coordinate_stays_a_number(charted: Any, client: Any) -> None:
    # Given the charted dataset
    # When a reader opens the dashboard in Ukrainian
    response = client.get("/uk/")
    assert response.status_code == 200
    document = lxml.html.fromstring(response.content)
    sketches = document.find_class("sketch")
    # Then every chart has its sketch, with amounts and months as Ukrainian writes them
    assert len(sketches) == 5
    texts = " ".join(
        " ".join(text.itertext()) for text in document.xpath("//*[@class='sketch']//*[local-name()='text']")
    )
    assert "млрд" in texts, texts
    assert "€0bn" not in texts, texts
    assert "Січ 2026" in texts, texts
    # and no coordinate is written with a decimal comma (Django localises numbers in templates)
    for element in document.xpath(
        "//*[@class='sketch']//*[local-name()='rect' or local-name()='line' or local-name()='circle']"
    ):
        for name in ("x", "x1", "x2", "y1", "y2", "cx", "cy", "width"):
            value = element.get(name)
            assert value is None or re.fullmatch(r"-?\d+(\.\d+)?%?", value), (name, value)


def test_markup_in_a_tranche_name_is_drawn_as_text(charted: Any, client: Any) -> None:
    # Given a tranche named "<script>alert(1)</script>" in the charted dataset
    # When a reader opens the dashboard
    document = lxml.html.fromstring(client.get("/").content)
    # Then the timeline's sketch labels its row with the name as typed, and runs nothing
    labels = [label.text_content() for label in document.find_class("sketch-label")]
    assert any(HOSTILE_NAME in label for label in labels), labels
    assert document.xpath("//*[@class='sketch']//script") == []


def test_a_chart_with_nothing_to_draw_says_so() -> None:
    # Given no payment whose conditions were assessed
    with translation.override("en-gb"):
        chart = _conditions_chart([], "as of 1 December 2026")
    # When the server sketches the conditions chart
    drawn: Sketch = sketch(chart["figure"])
    # Then it draws no row and says why
    assert drawn.rows == []
    assert drawn.empty == "No payment's conditions have been assessed yet."
