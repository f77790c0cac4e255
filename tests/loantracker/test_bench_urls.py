"""The benchmarks (bench/, docs/BENCHMARKS.md) serve the whole application through their own
URLconf, so `make bench` and `make lighthouse` measure the pages readers get, in both languages."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_benchmark_urls_serve_the_application_in_both_languages_beside_their_own_views(client):
    # When the benchmark asks for its floor and for the application's pages through its URLconf
    floor = client.get("/bench/floor/")
    english = client.get("/methodology/")
    ukrainian = client.get("/uk/methodology/")

    # Then each answers as it does in production, the Ukrainian page in Ukrainian
    assert floor.status_code == english.status_code == ukrainian.status_code == 200
    assert english["Content-Language"] == "en-gb"
    assert ukrainian["Content-Language"] == "uk"
