"""The stages chart: each component's money as one stacked bar, disbursed to not yet allocated."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext

from .layout import BAR_HOVERS, STAGE_COLOURS, STAGE_LABELS, _bn, _chart, _figure, _money, _money_axis, _text

STAGE_BARS = ("disbursed", "approved_not_disbursed", "planned", "withheld", "not_allocated")


def _stages_chart(instrument: dict[str, Any], as_of_text: str) -> dict[str, Any]:
    bars = instrument["by_component_and_stage"]
    names = [_text(bar["component"]) for bar in bars]
    traces = [
        go.Bar(
            name=str(STAGE_LABELS[stage]),
            y=names,
            x=[_bn(bar[stage]) for bar in bars],
            orientation="h",
            marker={"color": STAGE_COLOURS[stage]},
            customdata=[_money(bar[stage]) for bar in bars],
            hovertemplate=f"{BAR_HOVERS[stage]}<extra></extra>",
        )
        for stage in STAGE_BARS
    ]
    figure = _figure(
        traces,
        barmode="stack",
        xaxis=_money_axis(gettext("€ billion")),
        yaxis={"automargin": True, "autorange": "reversed", "fixedrange": True},
    )
    total = _money(instrument["amount"])
    return _chart(
        "stages",
        gettext("Where the %(amount)s stands") % {"amount": total},
        gettext("%(instrument)s by component and stage, € billion, %(as_of)s")
        % {"instrument": instrument["short_name"], "as_of": as_of_text},
        [("component", gettext("Component")), ("amount", gettext("Component (EUR)"))]
        + [(stage, gettext("%(stage)s (EUR)") % {"stage": STAGE_LABELS[stage]}) for stage in STAGE_BARS],
        [[bar["component"], bar["amount"], *(bar[stage] for stage in STAGE_BARS)] for bar in bars],
        figure,
        gettext(
            "Stacked bars, one per component of the %(amount)s loan, split into money disbursed, approved but "
            "not yet paid, planned, withheld and not yet allocated."
        )
        % {"amount": total},
    )
