"""The purposes chart: the tranches' money by purpose, as stacked bars."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext

from .layout import BAR_HOVERS, STAGE_COLOURS, STAGE_LABELS, _bn, _chart, _figure, _money, _money_axis, _text

NO_PURPOSE = "(no purpose given)"


def _purposes_chart(instrument: dict[str, Any], as_of_text: str) -> dict[str, Any]:
    rows = []
    for split in instrument["by_purpose"]:
        disbursed = Decimal(split["disbursed"])
        open_commitment = max(Decimal(split["committed"]) - disbursed, Decimal("0.00"))
        rows.append([split["purpose"] or NO_PURPOSE, split["disbursed"], str(open_commitment), split["planned"]])
    rows.sort(key=lambda row: -sum(Decimal(value) for value in row[1:]))
    labels = {NO_PURPOSE: gettext("(no purpose given)")}
    parts = (("disbursed", 1), ("approved_not_disbursed", 2), ("planned", 3))
    traces = [
        go.Bar(
            name=str(STAGE_LABELS[stage]),
            y=[_text(labels.get(row[0], row[0])) for row in rows],
            x=[_bn(row[index]) for row in rows],
            orientation="h",
            marker={"color": STAGE_COLOURS[stage]},
            customdata=[_money(row[index]) for row in rows],
            hovertemplate=f"{BAR_HOVERS[stage]}<extra></extra>",
        )
        for stage, index in parts
    ]
    figure = _figure(
        traces,
        barmode="stack",
        xaxis=_money_axis(gettext("€ billion")),
        yaxis={"automargin": True, "autorange": "reversed", "fixedrange": True},
    )
    return _chart(
        "purposes",
        gettext("What the money is for"),
        gettext("Tranches by purpose, € billion, %(as_of)s") % {"as_of": as_of_text},
        [
            ("purpose", gettext("Purpose")),
            *((stage, gettext("%(stage)s (EUR)") % {"stage": STAGE_LABELS[stage]}) for stage, _ in parts),
        ],
        rows,
        figure,
        gettext(
            "Bars, one per purpose of the tranches (such as drones or budget support), split into money "
            "disbursed, approved but not yet paid, and planned."
        ),
        {"purpose": labels},
    )
