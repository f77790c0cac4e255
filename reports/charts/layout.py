"""What the charts share: the house Plotly layout and axes, the stage labels, hover texts and
colours, rows labelled above their bars, texts escaped for Plotly, € billions and dates as the
active language writes them, and the shape of a chart (``_chart``)."""

from __future__ import annotations

import datetime
import textwrap
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from django.utils import dateformat
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy, pgettext

from tranches.money import eur_compact

BN = Decimal(1_000_000_000)


# Plotly draws a few HTML-like tags in its texts (<b>, <br>, <a href>) and decodes entities; every
# text taken from the data is escaped, so a tranche named "<b>x</b>" is drawn as typed.
def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _wrapped(value: str, width: int = 40) -> str:
    """A label escaped for Plotly, in lines of at most ``width`` characters (a phone's plot width
    at 13 px) broken between words."""
    return "<br>".join(_text(line) for line in textwrap.wrap(value, width) or [""])


def _bn(amount: str) -> float:
    """€ billions for drawing only; the tables and CSV keep the exact decimal amounts."""
    return float(Decimal(amount) / BN)


def _day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value[:10])


def _long_date(day: datetime.date) -> str:
    """'1 December 2026', in the active language ('1 грудня 2026': a month's name in a date)."""
    return dateformat.format(day, "j E Y")


def _money(amount: str | Decimal) -> str:
    """An amount in a chart's texts, as the pages write it in the active language ('€3.90bn')."""
    return eur_compact(Decimal(amount))


STAGE_LABELS = {
    "disbursed": gettext_lazy("Disbursed"),
    "approved_not_disbursed": gettext_lazy("Approved, not yet paid"),
    "planned": gettext_lazy("Planned"),
    "withheld": gettext_lazy("Withheld"),
    "not_allocated": gettext_lazy("Not yet allocated"),
    "approved": gettext_lazy("Approved"),
    "cancelled": gettext_lazy("Cancelled"),
}
# Plotly hover texts: Plotly fills %{y} (the bar's component or purpose), %{x} (a date) and
# %{customdata} (an amount such as "€3.90bn"); a whole sentence per stage, so that each language
# orders its words.
BAR_HOVERS = {
    # Translators: a hover text of the charts; keep %{y} and %{customdata} (an amount) as they are.
    "disbursed": gettext_lazy("%{y}: %{customdata} disbursed"),
    "approved_not_disbursed": gettext_lazy("%{y}: %{customdata} approved, not yet paid"),
    "planned": gettext_lazy("%{y}: %{customdata} planned"),
    "withheld": gettext_lazy("%{y}: %{customdata} withheld"),
    "not_allocated": gettext_lazy("%{y}: %{customdata} not yet allocated"),
}
STAGE_COLOURS = {
    "disbursed": "#1f5fa8",
    "approved_not_disbursed": "#6fa0d8",
    "approved": "#6fa0d8",
    "planned": "#f0b429",
    "withheld": "#c2410c",
    "cancelled": "#7a7a7a",
    "not_allocated": "#d9dde3",
}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
# A date in a hover: Plotly's month names of the page's locale (public/static/public/charts.js
# registers Ukrainian ones), so "25 Jun 2026" / "25 черв 2026".
HOVER_DAY = "%-d %b %Y"
# Horizontal rows with their label drawn above the bar or line, over the plot's whole width (a
# label on the y axis left a 64 px plot on a phone): the px a row takes, and one more line of label.
ROW_PX = 52
LINE_PX = 16


def _layout(**extra: Any) -> dict[str, Any]:
    """The house layout: no template (small JSON), readable at phone width, numbers written as the
    active language writes them. The legend sits above the plot, where no axis title can meet it
    (below it, it covered the "€ billion" title on a phone)."""
    return {
        "template": "none",
        "font": {"family": FONT, "size": 13, "color": "#1b1f24"},
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1,
            "yanchor": "bottom",
            "traceorder": "normal",
        },
        "hoverlabel": {"font": {"family": FONT}},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "height": 360,
        "separators": _separators(),
        **extra,
    }


def _separators() -> str:
    """Plotly's decimal and thousands separators, those Django writes numbers with in the active
    language ('.,'; in Ukrainian a decimal comma and a no-break space)."""
    return f"{get_format('DECIMAL_SEPARATOR')}{get_format('THOUSAND_SEPARATOR')}"


def _figure(traces: list[Any], **layout: Any) -> dict[str, Any]:
    """Plotly's own validation, then plain JSON for the page (``json_script``) and the embed."""
    figure: dict[str, Any] = go.Figure(data=traces, layout=_layout(**layout)).to_plotly_json()
    return figure


def _money_axis(title: str) -> dict[str, Any]:
    """An axis of € billions, its ticks "€20bn" ("20 млрд": short enough for four on a phone; the
    axis title names the currency)."""
    # Translators: the ticks of an axis of € billions, whose title names the currency; keep it short.
    prefix, _, suffix = pgettext("axis ticks", "€%(amount)sbn").partition("%(amount)s")
    return {
        "title": {"text": title, "standoff": 8},
        "tickprefix": prefix,
        "ticksuffix": suffix,
        "gridcolor": "#e5e7eb",
        "zeroline": True,
        "automargin": True,
        "rangemode": "tozero",
        "fixedrange": True,
    }


def _date_axis() -> dict[str, Any]:
    """A time axis with few enough ticks for a phone ('Jul 2026' whole, not 'Ma/Jul/Sep')."""
    return {
        "type": "date",
        "gridcolor": "#e5e7eb",
        "fixedrange": True,
        "automargin": True,
        "nticks": 5,
        # Months with their year below ("Jul<br>2026"); days as "25 Jun".
        "tickformatstops": [
            {"dtickrange": [None, "M1"], "value": "%-d %b"},
            {"dtickrange": ["M1", None], "value": "%b<br>%Y"},
        ],
        "hoverformat": HOVER_DAY,
    }


def _row_labels(labels: list[str], wrapped: list[str], shift: int) -> list[dict[str, Any]]:
    """Each row's label above its row (``shift`` px above its middle), from the plot's left edge."""
    return [
        {"text": text, "x": 0, "xref": "paper", "xanchor": "left", "y": label, "yref": "y", "yanchor": "bottom",
         "yshift": shift, "showarrow": False, "align": "left"}
        for label, text in zip(labels, wrapped, strict=True)
    ]  # fmt: skip


def _rows_axis(labels: list[str]) -> dict[str, Any]:
    """The y axis of rows labelled by ``_row_labels``: every row in order, the first one's label
    clear of the legend above it."""
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": labels,
        "range": [len(labels) - 0.5, -0.9],
        "fixedrange": True,
        "showticklabels": False,
        "showgrid": False,
    }


def _rows_height(wrapped: list[str]) -> int:
    lines = max((text.count("<br>") for text in wrapped), default=0)
    return max(200, 110 + len(wrapped) * (ROW_PX + LINE_PX * lines))


def _chart(
    slug: str,
    title: str,
    subtitle: str,
    columns: list[tuple[str, str]],
    rows: list[list[Any]],
    figure: dict[str, Any],
    description: str,
    cell_labels: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": title,
        "subtitle": subtitle,
        "description": description,
        "columns": [{"key": key, "label": label} for key, label in columns],
        # Coded cells of the rows (a stage, a series) as the table words them: {column key: {cell: words}}.
        "cell_labels": cell_labels or {},
        "rows": rows,
        "figure": figure,
    }
