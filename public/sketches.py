"""A chart drawn by the server, from the same Plotly figure the browser draws (``reports.charts``):
the chart a reader sees before plotly.js runs, and the one printed or read without JavaScript.

plotly.js costs a phone about half a second of blocked main thread to start (docs/BENCHMARKS.md),
so public/static/public/charts.js loads it only when the reader first touches, points at, scrolls
or types on the page, and until then the page shows this sketch in the plot's place. A sketch is
plain SVG with every x position in per cent of the plot's width, so that it fits any width without
a script; texts stay at the page's font size. It draws the subset of Plotly the charts use:

- ``rows``: a horizontal bar or line per category (stacked bars; a line and markers per row, as the
  timeline has), each row labelled above it, with an x axis of amounts or dates below;
- ``xy``: lines over a date axis against an amount axis (the pace chart), stepped where the trace
  says ``shape: hv``, dashed where it says ``dash``.

Reading only the figure keeps one source for what a chart shows: the texts (legend, labels, ticks'
units) are the figure's, in the page's language, and numbers and dates are written as Django writes
them in that language.
"""

from __future__ import annotations

import datetime
import html
import math
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.utils import dateformat
from django.utils.formats import number_format

PAD = 1.5  # per cent of the width kept clear on each side, so that a marker at the edge is whole
XY_HEIGHT = 260  # px of the xy sketch: plot, and its date ticks below
XY_TOP, XY_BOTTOM = 22, 30  # px above the plot (the top tick's label) and below it (the date ticks)


@dataclass
class Tick:
    at: float  # per cent of the width or, on an xy sketch's amount axis, px from the top
    label: str
    anchor: str = "middle"


@dataclass
class Row:
    label: str
    bars: list[tuple[float, float, str]] = field(default_factory=list)  # (x %, width %, colour)
    lines: list[tuple[float, float, str]] = field(default_factory=list)  # (from %, to %, colour)
    markers: list[tuple[float, str]] = field(default_factory=list)  # (x %, colour)


@dataclass
class Segment:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    width: float
    dashed: bool


@dataclass
class Sketch:
    kind: str  # "rows" or "xy"
    legend: list[dict[str, Any]]
    x_ticks: list[Tick]
    x_title: str = ""
    empty: str = ""
    rows: list[Row] = field(default_factory=list)
    strip: int = 18  # px of a row's bar
    height: int = XY_HEIGHT
    y_ticks: list[Tick] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    points: list[tuple[float, float, str]] = field(default_factory=list)  # (x %, y px, colour)


def sketch(figure: dict[str, Any]) -> Sketch:
    """The sketch of a Plotly figure of the charts (see the module's docstring)."""
    traces, layout = figure["data"], figure["layout"]
    legend = [_legend_entry(trace) for trace in traces if trace.get("showlegend", True) and trace.get("name")]
    if layout.get("xaxis", {}).get("type") == "date" and layout.get("yaxis", {}).get("type") != "category":
        return _xy(traces, layout, legend)
    return _rows(traces, layout, legend)


def _legend_entry(trace: dict[str, Any]) -> dict[str, Any]:
    marker, line = trace.get("marker", {}), trace.get("line", {})
    shape = "bar" if trace["type"] == "bar" else "line" if "lines" in trace.get("mode", "") else "marker"
    return {
        "name": html.unescape(trace["name"]),
        "colour": marker.get("color") or line.get("color", "#1b1f24"),
        "shape": shape,
        "dashed": bool(line.get("dash")),
    }


def _rows(traces: list[dict[str, Any]], layout: dict[str, Any], legend: list[dict[str, Any]]) -> Sketch:
    """A row per category, in the order the figure lists them (top to bottom), stacked bars summed."""
    order = list(layout.get("yaxis", {}).get("categoryarray") or [])
    for trace in traces:
        order += [y for y in trace["y"] if y is not None and y not in order]
    rows = {category: Row(html.unescape(category)) for category in order}
    dated = layout.get("xaxis", {}).get("type") == "date"
    if dated:
        days = [_day(x) for trace in traces for x in trace["x"] if x is not None]
        scale, ticks = _date_scale(days) if days else (lambda _: PAD, [])
    else:
        totals: dict[str, float] = {}
        for trace in traces:
            for x, y in zip(trace["x"], trace["y"], strict=True):
                totals[y] = totals.get(y, 0.0) + x
        scale, ticks = _amount_scale(max(totals.values(), default=0.0), layout["xaxis"])
    ends = dict.fromkeys(order, 0.0)  # where each row's stack has reached, in the axis's units
    for trace in traces:
        colour = trace.get("marker", {}).get("color") or trace.get("line", {}).get("color", "#9aa3ad")
        if trace["type"] == "bar":
            for x, y in zip(trace["x"], trace["y"], strict=True):
                left, ends[y] = scale(ends[y]), ends[y] + x
                rows[y].bars.append((left, round(scale(ends[y]) - left, 2), colour))
        elif "lines" in trace["mode"]:  # segments between consecutive points of a row, None between rows
            points = list(zip(trace["x"], trace["y"], strict=True))
            for (x1, y1), (x2, y2) in pairwise(points):
                if None not in (x1, x2) and y1 == y2:
                    rows[y1].lines.append((scale(_day(x1)), scale(_day(x2)), colour))
        else:
            for x, y in zip(trace["x"], trace["y"], strict=True):
                rows[y].markers.append((scale(_day(x) if dated else x), colour))
    # A row's bar as thick as the figure's height gives it (Plotly fills the height too), within reason.
    strip = int(min(36, max(14, (layout.get("height", 360) - 110) / max(len(rows), 1) - 24)))
    empty = "" if rows else " ".join(note["text"] for note in layout.get("annotations", []))
    x_title = layout.get("xaxis", {}).get("title", {}).get("text", "")
    return Sketch("rows", legend, ticks, html.unescape(x_title), html.unescape(empty), list(rows.values()), strip)


def _xy(traces: list[dict[str, Any]], layout: dict[str, Any], legend: list[dict[str, Any]]) -> Sketch:
    """Lines over time: x in per cent of the width, y in px from the top of the sketch."""
    days = [_day(x) for trace in traces for x in trace["x"]]
    x_scale, x_ticks = _date_scale(days)
    top = max((y for trace in traces for y in trace["y"]), default=0.0)
    amounts = _amount_ticks(top, layout["yaxis"])
    end, plot = amounts[-1][0] or 1.0, XY_HEIGHT - XY_TOP - XY_BOTTOM

    def y_px(value: float) -> float:
        return round(XY_TOP + plot * (1 - value / end), 1)

    y_ticks = [Tick(y_px(value), label) for value, label in amounts]
    segments, points = [], []
    for trace in traces:
        line = trace.get("line", {})
        xy = [(x_scale(_day(x)), y_px(y)) for x, y in zip(trace["x"], trace["y"], strict=True)]
        for (x1, y1), (x2, y2) in pairwise(xy):
            corners = [(x1, y1), (x2, y1), (x2, y2)] if line.get("shape") == "hv" else [(x1, y1), (x2, y2)]
            for (a, b), (c, d) in pairwise(corners):
                segments.append(Segment(a, b, c, d, line["color"], line.get("width", 2), bool(line.get("dash"))))
        if "markers" in trace.get("mode", ""):
            points += [(x, y, line["color"]) for x, y in xy]
    return Sketch("xy", legend, x_ticks, y_ticks=y_ticks, segments=segments, points=points)


def _day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value[:10])


def _at(share: float) -> float:
    """A share of the axis's range (0 to 1) as per cent of the width, inside the padding."""
    return round(PAD + (100 - 2 * PAD) * share, 2)


def _anchored(at: float, label: str) -> Tick:
    """A tick's label kept inside the width: the first and last align with their end."""
    return Tick(at, label, "start" if at < 8 else "end" if at > 92 else "middle")


def _date_scale(days: list[datetime.date]) -> tuple[Any, list[Tick]]:
    """Month starts around the days, at most four ticks ("Jul 2026", "Лип 2026")."""
    first = datetime.date(min(days).year, min(days).month, 1)
    last_month = max(days).year * 12 + max(days).month  # the month after the last day's ends the axis
    end = datetime.date(last_month // 12, last_month % 12 + 1, 1)
    span = (end - first).days

    def scale(day: datetime.date | float) -> float:
        return _at((day - first).days / span) if isinstance(day, datetime.date) else PAD

    months = last_month - (first.year * 12 + first.month - 1)
    step = next(step for step in (1, 2, 3, 6, 12, 24) if months / step <= 3)  # "Jul 2026" needs a quarter of a phone
    ticks = []
    for month in range(0, months + 1, step):
        number = first.year * 12 + first.month - 1 + month
        day = datetime.date(number // 12, number % 12 + 1, 1)
        ticks.append(_anchored(scale(day), dateformat.format(day, "M Y")))
    return scale, ticks


def _nice_step(top: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, giving three to five ticks from 0 to ``top``."""
    if top <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(top / 4))
    return next(power * factor for factor in (1, 2, 2.5, 5, 10) if top / (power * factor) <= 4)


def _amount_ticks(top: float, axis: dict[str, Any]) -> list[tuple[float, str]]:
    step = max(_nice_step(top), float(axis.get("dtick", 0)) or 0.0)
    count = max(1, math.ceil(top / step - 1e-9))
    decimals = 0 if step == int(step) else 1
    prefix, suffix = axis.get("tickprefix", ""), axis.get("ticksuffix", "")
    return [
        (step * n, f"{prefix}{number_format(Decimal(str(round(step * n, decimals))), decimals)}{suffix}")
        for n in range(count + 1)
    ]


def _amount_scale(top: float, axis: dict[str, Any]) -> tuple[Any, list[Tick]]:
    """A linear axis from 0 to the tick at or above ``top``, its ticks written as the axis says
    ("€20bn", "20 млрд", "4")."""
    ticks = _amount_ticks(top, axis)
    end = ticks[-1][0] or 1.0

    def scale(value: float) -> float:
        return _at(value / end)

    return scale, [_anchored(scale(value), label) for value, label in ticks]
