"""The pace chart: money paid so far against the straight line that pays it all by the end."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext

from .layout import STAGE_COLOURS, _bn, _chart, _date_axis, _day, _figure, _long_date, _money, _money_axis

# The pace chart's series as its rows and CSV name them (stable English data); the table shows
# them in the page's language (``cell_labels``).
ACTUAL_SERIES = "Disbursed, cumulative"
PACE_SERIES = "Straight line to the end"


def _pace_chart(instrument: dict[str, Any], as_of_text: str, as_of: datetime.date | None) -> dict[str, Any]:
    """Cumulative disbursements stepping up at each payment's value date (at each month's end for a
    payload that does not list its payments), flat to the as-of date, and the straight line that
    pays the whole amount evenly from the period's start to its end, with the amount that line
    reaches by the as-of date."""
    cumulative = instrument["cumulative"]
    start, end = cumulative["pace"][0], cumulative["pace"][-1]
    start_day, end_day = _day(start["date"]), _day(end["date"])
    actual = [(ACTUAL_SERIES, start_day, "0.00")]
    for point in cumulative["actual"]:
        day = _day(point["date"])
        actual.append((ACTUAL_SERIES, min(day, as_of) if as_of else day, point["cumulative"]))
    if as_of and actual[-1][1] < as_of:  # nothing paid since: the line runs on, flat, to the as-of date
        actual.append((ACTUAL_SERIES, as_of, actual[-1][2]))
    pace = [(PACE_SERIES, start_day, start["cumulative"])]
    if as_of and start_day < as_of < end_day:
        share = Decimal((as_of - start_day).days) / Decimal((end_day - start_day).days)
        reached = (Decimal(end["cumulative"]) * share).quantize(Decimal("0.01"))
        pace.append((PACE_SERIES, as_of, str(reached)))
    pace.append((PACE_SERIES, end_day, end["cumulative"]))
    traces = [
        go.Scatter(
            name=gettext("Disbursed"),
            x=[day.isoformat() for _, day, _ in actual],
            y=[_bn(value) for *_, value in actual],
            mode="lines+markers",
            line={"shape": "hv", "color": STAGE_COLOURS["disbursed"], "width": 3},
            customdata=[_money(value) for *_, value in actual],
            # Translators: a hover text of the pace chart: %{x} is a date, %{customdata} an amount.
            hovertemplate=gettext("%{x}: %{customdata} paid") + "<extra></extra>",
        ),
        go.Scatter(
            # Short, so that the legend keeps to one line on a phone; the subtitle names the end date.
            name=gettext("Even pace"),
            x=[day.isoformat() for _, day, _ in pace],
            y=[_bn(value) for *_, value in pace],
            mode="lines+markers",
            line={"dash": "dash", "color": "#7a7a7a", "width": 2},
            customdata=[_money(value) for *_, value in pace],
            # Translators: a hover text of the pace chart: %{x} is a date, %{customdata} an amount.
            hovertemplate=gettext("%{x}: %{customdata} at an even pace") + "<extra></extra>",
        ),
    ]
    figure = _figure(traces, xaxis=_date_axis(), yaxis=_money_axis(gettext("€ billion")))
    rows = [[series, day.isoformat(), value] for series, day, value in [*actual, *pace]]
    if cumulative.get("steps") == "month_end":
        description = gettext(
            "A line of the money disbursed so far, stepping up at the end of each month with a payment, beside "
            "a dashed straight line from nothing on %(start)s to the whole %(amount)s on %(end)s."
        )
    else:
        description = gettext(
            "A line of the money disbursed so far, stepping up at each payment, beside a dashed straight line "
            "from nothing on %(start)s to the whole %(amount)s on %(end)s."
        )
    return _chart(
        "pace",
        gettext("How fast the money is paid"),
        gettext("Cumulative disbursements against an even pace to %(end)s, € billion, %(as_of)s")
        % {"end": _long_date(end_day), "as_of": as_of_text},
        [("series", gettext("Series")), ("date", gettext("Date")), ("cumulative", gettext("Cumulative (EUR)"))],
        rows,
        figure,
        description % {"start": _long_date(start_day), "amount": _money(end["cumulative"]), "end": _long_date(end_day)},
        {"series": {ACTUAL_SERIES: gettext("Disbursed, cumulative"), PACE_SERIES: gettext("Straight line to the end")}},
    )
