"""The conditions chart: reform steps met and not met for each payment whose conditions were
assessed, from the record's conditions ledger."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext

from .layout import ROW_PX, _chart, _figure, _money, _row_labels, _rows_axis, _rows_height, _text, _wrapped

STEP_COLOURS = {"met": "#1f5fa8", "not_met": "#c2410c"}


def _conditions_chart(ledger: list[dict[str, Any]], as_of_text: str) -> dict[str, Any]:
    """Reform steps met per payment: for each payment whose conditions are assessed, a bar of the
    steps met and one of the steps not met (they add up to the steps due), with the money at stake,
    paid and withheld in the hover and the table. Payments not assessed yet are not drawn (the page
    lists them)."""
    assessed = [row for row in ledger if row["steps_met"] is not None]
    rows = [
        [
            row["payment"],
            row["instrument"],
            row["steps_met"],
            row["steps_not_met"],
            row["steps_due"],
            row["amount_at_stake"] or "",
            row["paid"],
            row["amount_withheld"] or "",
        ]
        for row in assessed
    ]
    names = [f"{row['instrument']} · {row['payment']}" for row in assessed]
    labels = [_text(name) for name in names]

    def money_note(row: dict[str, Any]) -> str:
        parts = [gettext("%(amount)s paid") % {"amount": _money(row["paid"])}]
        if row["amount_at_stake"]:
            parts.append(gettext("of %(amount)s at stake") % {"amount": _money(row["amount_at_stake"])})
        if row["amount_withheld"]:
            parts.append(gettext("%(amount)s withheld") % {"amount": _money(row["amount_withheld"])})
        return ", ".join(parts)

    # Translators: hover texts of the conditions chart: %{x} steps of the %{customdata[0]} due.
    met, not_met = gettext("%{x} of %{customdata[0]} steps met"), gettext("%{x} of %{customdata[0]} steps not met")
    traces = [
        go.Bar(
            name=name,
            y=labels,
            x=[row[key] for row in assessed],
            orientation="h",
            marker={"color": STEP_COLOURS[colour]},
            customdata=[[row["steps_due"], money_note(row)] for row in assessed],
            hovertemplate=f"%{{y}}: {hover}<br>%{{customdata[1]}}<extra></extra>",
        )
        for name, key, colour, hover in (
            (gettext("Steps met"), "steps_met", "met", met),
            (gettext("Steps not met"), "steps_not_met", "not_met", not_met),
        )
    ]
    wrapped = [_wrapped(name) for name in names]
    empty = [] if labels else [
        {"text": gettext("No payment's conditions have been assessed yet."), "showarrow": False, "xref": "paper",
         "yref": "paper", "x": 0.5, "y": 0.5}
    ]  # fmt: skip
    figure = _figure(
        traces,
        barmode="stack",
        bargap=0.5,
        height=_rows_height(wrapped),
        annotations=empty or _row_labels(labels, wrapped, shift=ROW_PX // 4 + 2),
        xaxis={"gridcolor": "#e5e7eb", "rangemode": "tozero", "fixedrange": True, "automargin": True, "dtick": 2,
               "title": {"text": gettext("Reform steps"), "standoff": 8}},
        yaxis=_rows_axis(labels),
    )  # fmt: skip
    return _chart(
        "conditions",
        gettext("Reform steps met per payment"),
        gettext("Reform steps met and not met of those due, for each payment assessed, %(as_of)s")
        % {"as_of": as_of_text},
        [("payment", gettext("Payment")), ("instrument", gettext("Instrument")), ("steps_met", gettext("Steps met")),
         ("steps_not_met", gettext("Steps not met")), ("steps_due", gettext("Steps due")),
         ("amount_at_stake", gettext("Money at stake (EUR)")), ("paid", gettext("Paid (EUR)")),
         ("amount_withheld", gettext("Money withheld (EUR)"))],
        rows,
        figure,
        gettext(
            "Bars, one per payment whose conditions were assessed, split into the reform steps met and not met "
            "out of those due."
        ),
    )  # fmt: skip
