"""The public charts: Plotly figures built from a snapshot by pure functions, the numbers they draw
equal to the snapshot's, and the pages that read them (dashboard, permalinks, embeds, CSV)."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports import selectors
from reports.charts import BN, CHART_SLUGS, chart_data_build
from reports.models import ChartData, FigureSnapshot
from tests.releases import released
from tests.reports.conftest import HOSTILE_NAME, charted_dataset, refreshed
from tranches import services as tranche_services
from tranches.models import Tranche

pytestmark = pytest.mark.django_db


def drawn(value: float) -> Decimal:
    """A number as Plotly draws it (€ billions), back to EUR for an exact comparison."""
    return Decimal(repr(value)) * BN


def charts_of(snapshot: FigureSnapshot) -> dict[str, Any]:
    chart_data = selectors.chart_data_for(snapshot)
    assert chart_data is not None
    return chart_data.payload["charts"]


def usl(snapshot: FigureSnapshot) -> dict[str, Any]:
    return next(i for i in snapshot.payload["instruments"] if i["slug"] == "ukraine-support-loan")


def test_the_stages_chart_draws_the_snapshots_component_totals(charted: FigureSnapshot) -> None:
    chart = charts_of(charted)["stages"]
    components = {c["name"]: c["totals"] for c in usl(charted)["components"]}
    traces = {trace["name"]: trace for trace in chart["figure"]["data"]}
    for index, name in enumerate(traces["Disbursed"]["y"]):
        totals = components[name]
        assert drawn(traces["Disbursed"]["x"][index]) == Decimal(totals["disbursed"])
        assert drawn(traces["Planned"]["x"][index]) == Decimal(totals["planned"])
        assert drawn(traces["Not yet allocated"]["x"][index]) == Decimal(totals["not_allocated"])
        open_commitment = Decimal(totals["committed"]) - Decimal(totals["disbursed"])
        assert drawn(traces["Approved, not yet paid"]["x"][index]) == open_commitment
        # The bar adds up to the component, and the table row is the same numbers, exactly.
        assert sum(drawn(trace["x"][index]) for trace in traces.values()) == Decimal(totals["amount"])
    assert [row[0] for row in chart["rows"]] == ["Defence", "Budget support"]
    assert chart["rows"][0][1:3] == ["60000000000.00", "3900000000.00"]
    assert chart["rows"][0][3] == "1500000000.00"  # the approved, unpaid tranche


def test_the_pace_chart_draws_cumulative_payments_against_the_straight_line(charted: FigureSnapshot) -> None:
    chart = charts_of(charted)["pace"]
    paid, pace = chart["figure"]["data"]
    as_of = datetime.date.fromisoformat(charted.payload["as_of"][:10])
    # Nothing before the period; the running total on each payment's value date (€3.2bn on 25 June,
    # €3.9bn more on 30 June); flat from the last payment to as-of, ending at the month's total.
    assert paid["x"] == ["2026-01-01", "2026-06-25", "2026-06-30", as_of.isoformat()]
    assert [drawn(y) for y in paid["y"]] == [0, Decimal("3200000000"), Decimal("7100000000"), Decimal("7100000000")]
    assert drawn(paid["y"][-1]) == Decimal(usl(charted)["cumulative_by_month"][-1]["cumulative"])
    assert pace["x"][0] == "2026-01-01"
    assert pace["x"][-1] == "2027-12-31"
    assert drawn(pace["y"][-1]) == Decimal("90000000000")
    # Between the ends, the line's value on the as-of date: the share of the period gone by.
    share = Decimal((as_of - datetime.date(2026, 1, 1)).days) / Decimal(729)
    assert pace["x"][1] == as_of.isoformat()
    pace_rows = [row for row in chart["rows"] if row[0] == "Straight line to the end"]
    assert Decimal(pace_rows[1][2]) == (Decimal("90000000000") * share).quantize(Decimal("0.01"))
    assert [drawn(y) for y in pace["y"]] == [Decimal(row[2]) for row in pace_rows]


def test_on_a_payment_day_the_pace_chart_shows_that_days_payment(charted: FigureSnapshot) -> None:
    # Given the shipped record: €3.2bn paid on 25 June 2026, €3.9bn on 30 June 2026
    chart = charts_of(charted)["pace"]
    # When a reader hovers over 25 June or reads the chart's table
    paid = chart["figure"]["data"][0]
    on_the_day = paid["x"].index("2026-06-25")
    # Then the line has stepped up by that day's payment (it showed €0 until the month's end before)
    assert paid["customdata"][on_the_day] == "€3.20bn"
    assert ["Disbursed, cumulative", "2026-06-25", "3200000000.00"] in chart["rows"]
    assert "stepping up at each payment" in chart["description"]


def test_the_purposes_chart_draws_each_purposes_money(charted: FigureSnapshot) -> None:
    chart = charts_of(charted)["purposes"]
    splits = {s["purpose"]: s for s in usl(charted)["by_purpose"]}
    disbursed = next(trace for trace in chart["figure"]["data"] if trace["name"] == "Disbursed")
    approved = next(trace for trace in chart["figure"]["data"] if trace["name"] == "Approved, not yet paid")
    for row in chart["rows"]:
        split = splits[row[0]]
        index = disbursed["y"].index(row[0].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        assert drawn(disbursed["x"][index]) == Decimal(split["disbursed"]) == Decimal(row[1])
        assert drawn(approved["x"][index]) == Decimal(split["committed"]) - Decimal(split["disbursed"])
    assert {row[0] for row in chart["rows"]} == set(splits)


def test_the_timeline_marks_each_stage_date_of_each_tranche(charted: FigureSnapshot) -> None:
    chart = charts_of(charted)["timeline"]
    expected = {
        (t["name"], stage, t[f"{stage}_on"])
        for t in charted.payload["tranches"]
        if t["instrument_id"] == usl(charted)["id"]
        for stage in ("planned", "approved", "disbursed", "withheld", "cancelled")
        if t[f"{stage}_on"]
    }
    assert {(row[0], row[1], row[2]) for row in chart["rows"]} == expected
    markers = {trace["name"]: trace for trace in chart["figure"]["data"] if trace.get("name")}
    assert sorted(markers["Disbursed"]["x"]) == sorted(d for _, stage, d in expected if stage == "disbursed")


def test_every_chart_has_its_title_as_of_source_and_citation(charted: FigureSnapshot) -> None:
    charts = charts_of(charted)
    assert set(charts) == set(CHART_SLUGS)  # (jsonb keeps no key order; pages follow CHART_SLUGS)
    as_of = datetime.date.fromisoformat(charted.payload["as_of"][:10])
    for chart in charts.values():
        assert chart["title"]
        assert chart["description"]
        assert f"as of {as_of.day} {as_of:%B %Y}" in chart["subtitle"]
        assert chart["source"].startswith("Source: EU Ukraine-loan tracker, from ")
        if chart["slug"] != "conditions":
            assert "European Commission" in chart["source"]
        assert charted.content_hash[:12] in chart["cite"]
        assert "{url}" in chart["cite"]
        assert len(chart["rows"][0]) == len(chart["columns"])


def test_markup_in_the_data_is_escaped_for_plotly(charted: FigureSnapshot) -> None:
    timeline = charts_of(charted)["timeline"]["figure"]["data"]
    labels = {label for trace in timeline for label in trace["y"] if label}
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (€1.50bn)" in labels
    assert not any("<script>" in label for label in labels)
    purposes = charts_of(charted)["purposes"]["figure"]["data"][0]["y"]
    assert "&lt;b&gt;air&lt;/b&gt; &amp; sea" in purposes


def test_charts_build_reads_no_database(charted: FigureSnapshot) -> None:
    with CaptureQueriesContext(connection) as queries:
        built = chart_data_build(charted.payload, snapshot_hash=charted.content_hash)
    assert len(queries) == 0
    assert built["charts"] == charts_of(charted)


def test_chart_data_of_an_older_schema_is_rebuilt(charted: FigureSnapshot) -> None:
    from reports import services

    ChartData.objects.filter(snapshot=charted).update(payload={"schema_version": 1})
    chart, built = services.chart_data_refresh(snapshot_id=charted.pk)
    assert built
    assert chart.payload["charts"]["stages"]["rows"]
    assert ChartData.objects.count() == 1


# The pages --------------------------------------------------------------------------------------


def test_the_dashboard_shows_the_headline_charts_and_sources(client: Any, charted: FigureSnapshot) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "€7.10bn of €90.00bn paid" in html
    for slug in CHART_SLUGS:
        assert f'id="figure-{slug}-json"' in html
        assert f'href="/releases/{charted.release_id}/charts/{slug}.csv"' in html
        assert f"http://testserver/embed/{slug}/" in html
    assert "Conflicting claim: €5.90bn" in html  # the €3.9bn vs €5.9bn claims both shown
    assert "30 Jun 2026" in html  # the last payment
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "<script>" not in html.replace('<script type="application/json"', "")  # no inline script
    assert "cdn" not in html.lower()


def test_markup_in_a_tranche_name_shows_as_text_on_every_page(client: Any, charted: FigureSnapshot) -> None:
    for path in ("/", "/embed/timeline/", f"/snapshots/{charted.content_hash}/"):
        html = client.get(path).content.decode()
        assert HOSTILE_NAME not in html
        assert "<b>air</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/").content.decode()
    csv_text = client.get("/charts/timeline.csv").content.decode()
    assert HOSTILE_NAME in csv_text  # CSV is data, not HTML: the name as typed


def test_a_formula_in_a_tranche_name_is_text_in_every_chart_csv(client: Any, db: Any) -> None:
    # Given a published tranche whose name and purpose a spreadsheet would run as formulas
    snapshot = charted_dataset(name='=HYPERLINK("http://evil.example","click")', purpose="+SUM(1;1)")

    # When a reader downloads the CSV of each chart, latest and by permalink
    cells = [
        cell
        for slug in CHART_SLUGS
        for path in (f"/charts/{slug}.csv", f"/snapshots/{snapshot.content_hash}/charts/{slug}.csv")
        for row in csv.reader(io.StringIO(client.get(path).content.decode()))
        for cell in row
    ]

    # Then a spreadsheet shows them as text (the API's rule: a leading apostrophe)
    assert '\'=HYPERLINK("http://evil.example","click")' in cells
    assert "'+SUM(1;1)" in cells
    assert [cell for cell in cells if cell.startswith(("=", "+", "@"))] == []


def test_the_csv_holds_exactly_the_rows_the_chart_shows(client: Any, charted: FigureSnapshot) -> None:
    for slug, chart in charts_of(charted).items():
        response = client.get(f"/charts/{slug}.csv")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert f"ukraine-support-loan-{slug}-" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == [column["key"] for column in chart["columns"]]
        assert rows[1:] == [[str(value) if value is not None else "" for value in row] for row in chart["rows"]]


def test_an_embed_page_may_be_framed_by_any_site(client: Any, charted: FigureSnapshot) -> None:
    response = client.get("/embed/pace/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert client.get("/embed/nonsense/").status_code == 404


def test_a_permalink_keeps_showing_its_snapshot_after_a_change(client: Any, charted: FigureSnapshot) -> None:
    old = charted
    tranche = Tranche.objects.get(slug="hostile")
    tranche.amount = Decimal("2500000000.00")
    tranche_services.tranche_save(tranche=tranche)
    released(tranche)
    new = refreshed()
    from reports import services

    services.chart_data_refresh(snapshot_id=new.pk)
    assert new.content_hash != old.content_hash

    latest_rows = list(csv.reader(io.StringIO(client.get("/charts/stages.csv").content.decode())))
    old_rows = list(
        csv.reader(io.StringIO(client.get(f"/snapshots/{old.content_hash}/charts/stages.csv").content.decode()))
    )
    assert latest_rows[1][3] == "2500000000.00"
    assert old_rows[1][3] == "1500000000.00"
    page = client.get(f"/snapshots/{old.content_hash}/")
    assert page.status_code == 200
    assert "This is a permalink" in page.content.decode()
    assert page["Cache-Control"] == "public, max-age=86400, immutable"
    assert client.get(f"/snapshots/{'0' * 64}/").status_code == 404


def test_an_unchanged_page_revalidates_with_a_304(client: Any, charted: FigureSnapshot) -> None:
    for path in ("/", "/embed/stages/", "/charts/stages.csv"):
        first = client.get(path)
        again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304, path


def test_pages_are_rendered_once_and_then_answered_from_the_cache_after_one_query(
    client: Any, charted: FigureSnapshot, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):  # the chart data shown, then its payload to render
        first = client.get("/")
    with django_assert_num_queries(1):  # the chart data shown: the same, so the kept page
        again = client.get("/")
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"]
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]  # middleware's, each time
    with django_assert_num_queries(2):
        etag = client.get("/embed/stages/")["ETag"]
    with django_assert_num_queries(1):
        assert client.get("/embed/stages/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_new_chart_data_shows_at_once_whichever_process_built_it(client: Any, charted: FigureSnapshot) -> None:
    first = client.get("/")["ETag"]
    chart = ChartData.objects.get(snapshot=charted)
    # Rebuilt by another process (an update sends no signal to this one): seen by the next request.
    ChartData.objects.filter(pk=chart.pk).update(created_at=timezone.now())
    second = client.get("/")["ETag"]
    assert second != first
    chart.refresh_from_db()
    chart.created_at = timezone.now()
    chart.save()
    assert client.get("/")["ETag"] not in (first, second)


def test_release_pages_are_permalinks_of_that_release(client: Any, charted: FigureSnapshot) -> None:
    number = charted.release_id
    page = client.get(f"/releases/{number}/")
    assert page.status_code == 200
    assert "This is a permalink" in page.content.decode()
    assert page["Cache-Control"] == "public, max-age=86400, immutable"
    assert f'href="http://testserver/releases/{number}/"' in client.get("/").content.decode()
    embed = client.get(f"/releases/{number}/embed/stages/")
    assert embed.status_code == 200
    assert f"/releases/{number}/charts/stages.csv" in embed.content.decode()
    data = client.get(f"/releases/{number}/charts/stages.csv")
    assert data.content == client.get("/charts/stages.csv").content
    assert client.get(f"/releases/{number + 1}/").status_code == 404
    assert client.get(f"/releases/{number}/embed/nonsense/").status_code == 404


def test_before_any_figures_the_pages_say_so_and_ask_to_retry(client: Any, db: Any) -> None:
    for path in ("/", "/embed/stages/", "/charts/stages.csv"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response["Retry-After"] == "60"
    assert "being prepared" in client.get("/").content.decode()


def test_the_pages_are_read_only(client: Any, charted: FigureSnapshot) -> None:
    for path in ("/", "/embed/stages/", "/charts/stages.csv", f"/snapshots/{charted.content_hash}/"):
        assert client.post(path).status_code == 405
        assert client.head(path).status_code == 200


def test_an_unknown_page_is_a_404_page_pointing_to_the_figures(client: Any, db: Any) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'href="/api/docs/"' in response.content.decode()
