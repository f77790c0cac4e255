"""The charts in English and Ukrainian (issue 14 item 7): built once per language of
settings.LANGUAGES by the chart job, the numbers stored once and each language's texts beside them,
read by pages through ``charts_for``. A msgid of reports/charts.py without a Ukrainian translation
is caught by the generic test of every app's .po (tests/public/test_translations.py)."""

from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Any

import lxml.html
import pytest
from django.conf import settings

from reports import selectors
from reports.charts import CHART_SLUGS, charts_for
from reports.models import FigureSnapshot

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


def chart_data(snapshot: FigureSnapshot) -> dict[str, Any]:
    stored = selectors.chart_data_for(snapshot)
    assert stored is not None
    payload: dict[str, Any] = stored.payload
    return payload


def texts_of(chart: dict[str, Any]) -> list[str]:
    """Every text a reader sees in or around a chart besides the data's own names."""
    layout = chart["figure"]["layout"]
    axis_titles = [layout[axis]["title"]["text"] for axis in ("xaxis", "yaxis") if "title" in layout[axis]]
    traces = chart["figure"]["data"]
    return [
        chart["title"],
        chart["subtitle"],
        chart["description"],
        chart["source"],
        chart["cite"],
        *(column["label"] for column in chart["columns"]),
        *axis_titles,
        *(trace["name"] for trace in traces if trace.get("name")),
        *(trace["hovertemplate"] for trace in traces if trace.get("hovertemplate")),
    ]


def test_every_chart_is_there_in_every_language_with_the_same_numbers(charted: FigureSnapshot) -> None:
    # Given the charts the job built from the shipped dataset
    payload = chart_data(charted)
    english = charts_for(payload, "en-gb")
    # When a page reads them in each language of the site
    for code, _name in settings.LANGUAGES:
        charts = charts_for(payload, code)
        # Then every chart is there, drawing the same numbers with the same rows (table and CSV)
        assert set(charts) == set(CHART_SLUGS), code
        for slug, chart in charts.items():
            assert chart["rows"] == english[slug]["rows"]
            assert [column["key"] for column in chart["columns"]] == [c["key"] for c in english[slug]["columns"]]
            for trace, english_trace in zip(chart["figure"]["data"], english[slug]["figure"]["data"], strict=True):
                assert trace.get("x") == english_trace.get("x")
    # and the numbers are stored once: the Ukrainian texts carry no drawn values nor rows
    for chart in payload["chart_texts"]["uk"].values():
        assert "rows" not in chart
        assert all("x" not in trace for trace in chart["figure"]["data"])
    assert set(payload["chart_texts"]) == {code for code, _ in settings.LANGUAGES} - {settings.LANGUAGE_CODE}


def test_the_ukrainian_charts_read_in_ukrainian_with_amounts_in_billions_of_euros(charted: FigureSnapshot) -> None:
    # Given the charts of the shipped dataset, as of a day in December
    payload = chart_data(charted)
    # When a Ukrainian page reads them
    charts = charts_for(payload, "uk")
    stages, pace, timeline = charts["stages"], charts["pace"], charts["timeline"]
    # Then titles, subtitles, legends, axes, hovers and source lines are in Ukrainian
    assert stages["title"] == "На якому етапі 90,00 млрд €"
    as_of = datetime.date.fromisoformat(payload["as_of"][:10])
    months = ["січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня",
              "листопада", "грудня"]  # fmt: skip
    assert stages["subtitle"].endswith(f"станом на {as_of.day} {months[as_of.month - 1]} {as_of.year}")
    assert pace["title"] == "Як швидко виплачують кошти"
    assert timeline["title"] == "Транші та їхні дати"
    assert charts["conditions"]["title"] == "Виконані кроки реформ за кожною виплатою"
    names = [trace["name"] for trace in stages["figure"]["data"]]
    assert names == ["Виплачено", "Затверджено, ще не виплачено", "Заплановано", "Утримано", "Ще не розподілено"]
    assert [trace["name"] for trace in pace["figure"]["data"]] == ["Виплачено", "Рівномірний темп"]
    assert stages["figure"]["layout"]["xaxis"]["title"]["text"] == "млрд €"
    assert stages["source"].startswith("Джерело: трекер позики ЄС Україні, за даними: ")
    assert "рівень надійності B" in stages["source"]
    assert "знімок " + charted.content_hash[:12] in stages["cite"]
    assert stages["figure"]["data"][0]["hovertemplate"].startswith("%{y}: виплачено %{customdata}")
    # and amounts are written as Ukrainian pages write them: "3,90 млрд €", axis ticks "20 млрд",
    # a decimal comma and a no-break space between thousands
    defence = stages["figure"]["data"][0]["customdata"][0]
    assert defence == "3,90 млрд €"
    assert stages["figure"]["layout"]["xaxis"]["ticksuffix"] == " млрд"
    assert stages["figure"]["layout"]["xaxis"]["tickprefix"] == ""
    assert stages["figure"]["layout"]["separators"] == "," + NBSP
    # (the timeline's labels above its rows keep an amount on one line)
    labels = [a["text"].replace("<br>", " ") for a in timeline["figure"]["layout"]["annotations"]]
    assert f"First defence tranche: drones (3,90{NBSP}млрд{NBSP}€)" in labels
    # and the table words its coded cells in Ukrainian while the CSV rows keep the English keys
    assert ["First defence tranche: drones", "Виплачено", "2026-06-30", "3900000000.00"] in timeline["table_rows"]
    assert ["First defence tranche: drones", "disbursed", "2026-06-30", "3900000000.00"] in timeline["rows"]
    assert ["Виплачено, наростаючим підсумком", "2026-06-25", "3200000000.00"] in pace["table_rows"]
    # and no text of a chart is left in English
    english = charts_for(payload, "en-gb")
    for slug, chart in charts.items():
        left = set(texts_of(chart)) & set(texts_of(english[slug]))
        assert not left, f"{slug}: {left}"


def test_the_english_charts_keep_their_words_and_numbers(charted: FigureSnapshot) -> None:
    # Given the charts of the shipped dataset
    payload = chart_data(charted)
    # When an English page reads them, or a page in a language the charts are not built in
    charts = charts_for(payload, "en-gb")
    assert charts_for(payload, "de") == charts
    assert charts_for(payload, "uk-ua") == charts_for(payload, "uk") != charts
    # Then they read as before, amounts as the pages write them
    stages = charts["stages"]
    assert stages["title"] == "Where the €90.00bn stands"
    assert stages["subtitle"].startswith("USL by component and stage, € billion, as of ")
    assert stages["source"].startswith("Source: EU Ukraine-loan tracker, from ")
    assert stages["figure"]["data"][0]["name"] == "Disbursed"
    assert stages["figure"]["data"][0]["customdata"][0] == "€3.90bn"
    assert stages["figure"]["layout"]["separators"] == ".,"
    assert (stages["figure"]["layout"]["xaxis"]["tickprefix"], stages["figure"]["layout"]["xaxis"]["ticksuffix"]) == (
        "€",
        "bn",
    )
    assert ["First defence tranche: drones", "Disbursed", "2026-06-30", "3900000000.00"] in charts["timeline"][
        "table_rows"
    ]
    assert payload["charts_language"] == settings.LANGUAGE_CODE == "en-gb"


def test_a_ukrainian_page_draws_the_ukrainian_charts_and_the_csv_stays_english(
    client: Any, charted: FigureSnapshot
) -> None:
    # Given the charts of the shipped dataset
    # When a reader opens the Ukrainian dashboard and the Ukrainian embed of the pace chart
    page = client.get("/uk/")
    embed = client.get("/uk/embed/pace/")
    # Then the figures drawn are the Ukrainian ones
    assert page.status_code == embed.status_code == 200
    for response, slug in ((page, "stages"), (embed, "pace")):
        html = lxml.html.fromstring(response.content)
        figure = json.loads(html.get_element_by_id(f"figure-{slug}-json").text_content())
        assert figure["layout"]["separators"] == "," + NBSP
        assert figure["data"][0]["name"] == "Виплачено"
    assert "Як швидко виплачують кошти" in embed.content.decode()
    # and the CSV of a chart keeps its English keys and values
    csv_url = f"/releases/{charted.release_id}/charts/timeline.csv"
    rows = list(csv.reader(io.StringIO(client.get(csv_url).content.decode())))
    assert rows[0] == ["tranche", "stage", "date", "amount"]
    assert ["First defence tranche: drones", "disbursed", "2026-06-30", "3900000000.00"] in rows
