"""The timeline chart: one row per tranche, a marker at each date it reached a stage."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext, pgettext_lazy

from .layout import (
    STAGE_COLOURS,
    STAGE_LABELS,
    _chart,
    _date_axis,
    _figure,
    _money,
    _row_labels,
    _rows_axis,
    _rows_height,
    _text,
    _wrapped,
)

EVENT_HOVERS = {
    # Translators: a hover text of the timeline chart; %{x} is the date.
    "planned": pgettext_lazy("timeline hover", "planned on %{x}"),
    "approved": pgettext_lazy("timeline hover", "approved on %{x}"),
    "disbursed": pgettext_lazy("timeline hover", "disbursed on %{x}"),
    "withheld": pgettext_lazy("timeline hover", "withheld on %{x}"),
    "cancelled": pgettext_lazy("timeline hover", "cancelled on %{x}"),
}
NBSP = "\xa0"


def _timeline_chart(instrument: dict[str, Any], as_of_text: str) -> dict[str, Any]:
    """One row per tranche: its name and amount above a line from its first to its latest stage,
    a marker at each stage date."""
    rows = [
        [tranche["name"], event["stage"], event["date"], tranche["amount"]]
        for tranche in instrument["timeline"]
        for event in sorted(tranche["events"], key=lambda e: e["date"])
    ]
    # The amount kept on one line when the label wraps ("(3,90\xa0млрд\xa0€)").
    names = {t["tranche_id"]: f"{t['name']} ({_money(t['amount']).replace(' ', NBSP)})" for t in instrument["timeline"]}
    labels = {tranche_id: _text(name) for tranche_id, name in names.items()}
    line_x: list[str | None] = []
    line_y: list[str | None] = []
    for tranche in instrument["timeline"]:
        dates = sorted(event["date"] for event in tranche["events"])
        line_x += [dates[0], dates[-1], None] if dates else []
        line_y += [labels[tranche["tranche_id"]]] * 2 + [None] if dates else []
    traces: list[Any] = [
        go.Scatter(
            x=line_x, y=line_y, mode="lines", line={"color": "#9aa3ad", "width": 2}, showlegend=False, hoverinfo="skip"
        )
    ]
    for stage in ("planned", "approved", "disbursed", "withheld", "cancelled"):
        points = [(t, e["date"]) for t in instrument["timeline"] for e in t["events"] if e["stage"] == stage]
        if points:
            traces.append(
                go.Scatter(
                    name=str(STAGE_LABELS[stage]),
                    x=[day for _, day in points],
                    y=[labels[t["tranche_id"]] for t, _ in points],
                    mode="markers",
                    marker={"size": 12, "color": STAGE_COLOURS[stage], "line": {"width": 1, "color": "#ffffff"}},
                    hovertemplate=f"%{{y}}<br>{EVENT_HOVERS[stage]}<extra></extra>",
                )
            )
    wrapped = [_wrapped(name) for name in names.values()]
    figure = _figure(
        traces,
        height=_rows_height(wrapped),
        annotations=_row_labels(list(labels.values()), wrapped, shift=8),
        xaxis=_date_axis(),
        yaxis=_rows_axis(list(labels.values())),
    )
    return _chart(
        "timeline",
        gettext("Tranches and their dates"),
        gettext("Each tranche from plan to payment, %(as_of)s") % {"as_of": as_of_text},
        [
            ("tranche", gettext("Tranche")),
            ("stage", gettext("Stage")),
            ("date", gettext("Date reached")),
            ("amount", gettext("Tranche (EUR)")),
        ],
        rows,
        figure,
        gettext(
            "One row per tranche, with a marker at the date it was planned, approved, disbursed, withheld or cancelled."
        ),
        {"stage": {stage: str(label) for stage, label in STAGE_LABELS.items()}},
    )
