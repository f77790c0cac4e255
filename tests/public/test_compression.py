"""Compression (Django's GZipMiddleware) of HTML, JSON and CSV, and caching headers on the schema
and the docs; a weak ETag (what gzip makes of it) still revalidates."""

from __future__ import annotations

import gzip
import json

import pytest

pytestmark = pytest.mark.django_db


# Bodies of a few kB. Not the charts' CSVs of this small dataset (164–311 bytes): Django pads each
# gzip body with up to 100 random bytes against BREACH and sends the plain body when that is not
# shorter, so a body that small is compressed only some of the time, by design.
@pytest.mark.parametrize("path", ["/api/v1/summary/", "/", "/embed/stages/", "/api/v1/tranches/?format=csv"])
def test_a_gzip_client_gets_a_gzipped_body_that_revalidates(client, charted, path):
    plain = client.get(path)
    zipped = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content)
    assert zipped["ETag"].startswith('W/"')
    again = client.get(path, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=zipped["ETag"])
    assert again.status_code == 304


def test_gzipped_json_decodes_to_the_same_answer(client, charted):
    zipped = client.get("/api/v1/summary/", HTTP_ACCEPT_ENCODING="gzip")
    assert json.loads(gzip.decompress(zipped.content)) == client.get("/api/v1/summary/").json()


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_the_schema_and_docs_carry_caching_headers_and_revalidate(client, db, path):
    first = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
    assert first.status_code == 200
    assert "max-age=" in first["Cache-Control"]
    assert first["ETag"]
    assert client.get(path, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
