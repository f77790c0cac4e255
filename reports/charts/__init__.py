"""The public charts, built from one snapshot's payload by pure functions (no database reads), so
that pages never aggregate: first the data of each chart (``chart_data_build``), then for the main
instrument the ready-to-draw Plotly figures with their titles, source line and the table of exactly
the numbers shown (``charts_build``), once per language of settings.LANGUAGES; pages read them
through ``charts_for``. Amounts stay EUR decimal strings except inside the Plotly figures, which
draw € billions. docs/JOBS.md describes the payload, docs/DASHBOARD.md the charts.

Where things live (each module imports only those below it in this list):

- ``data``: ``chart_data_build``, the payload the job stores (headline, stage bars, cumulative
  payments, tranche timeline and table) and its ``CHARTS_SCHEMA_VERSION``.
- ``languages``: ``charts_build`` (every chart in the active language, with its source line and
  citation; ``CHART_SLUGS``), ``charts_in_languages`` (once per language, the other languages kept
  as texts only) and ``charts_for`` (a language's texts laid over the default's, for a page).
- ``stages``, ``pace``, ``purposes``, ``timeline``, ``conditions``: one chart each, its Plotly
  traces, table columns and rows, and texts.
- ``layout``: what the charts share: the house Plotly layout and axes, stage labels, hover texts and
  colours, rows labelled above their bars, text escaping, € billions and dates as each language
  writes them, and the shape of a chart (``_chart``).
"""

from .conditions import STEP_COLOURS
from .data import CHARTS_SCHEMA_VERSION, MAIN_INSTRUMENT_SLUG, chart_data_build
from .languages import CHART_SLUGS, MAIN_CHART_SLUGS, NOT_TEXTS_ONLY, charts_build, charts_for, charts_in_languages
from .layout import BAR_HOVERS, BN, FONT, HOVER_DAY, LINE_PX, ROW_PX, STAGE_COLOURS, STAGE_LABELS
from .pace import ACTUAL_SERIES, PACE_SERIES
from .purposes import NO_PURPOSE
from .stages import STAGE_BARS
from .timeline import EVENT_HOVERS, NBSP

__all__ = [
    "ACTUAL_SERIES",
    "BAR_HOVERS",
    "BN",
    "CHARTS_SCHEMA_VERSION",
    "CHART_SLUGS",
    "EVENT_HOVERS",
    "FONT",
    "HOVER_DAY",
    "LINE_PX",
    "MAIN_CHART_SLUGS",
    "MAIN_INSTRUMENT_SLUG",
    "NBSP",
    "NOT_TEXTS_ONLY",
    "NO_PURPOSE",
    "PACE_SERIES",
    "ROW_PX",
    "STAGE_BARS",
    "STAGE_COLOURS",
    "STAGE_LABELS",
    "STEP_COLOURS",
    "chart_data_build",
    "charts_build",
    "charts_for",
    "charts_in_languages",
]
