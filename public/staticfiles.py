"""plotly.js for the public charts, served as a local static file (no CDN): the official partial
bundle ``plotly.js-basic-dist-min`` (traces bar, pie and scatter: the charts draw only bars and
scatters), vendored in ``public/vendor-src/`` at the plotly.js version of the installed ``plotly``
package, so the drawing library matches the Python library that built the figures (README.md there
says where it came from, its sha256 and how to update it). Listed in STATICFILES_FINDERS; served at
``public/vendor/plotly.min.js``, and ``collectstatic`` copies it like any other file (whitenoise's
storage writes its .gz and .br beside it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core import checks
from django.core.files.storage import FileSystemStorage

PREFIX = "public/vendor"
NAME = "plotly.min.js"
VENDOR_DIR = Path(__file__).resolve().parent / "vendor-src"


class PlotlyJsFinder(BaseFinder):
    """Finds exactly ``public/vendor/plotly.min.js`` (the vendored bundle) and nothing else of
    ``public/vendor-src/``: its README and LICENSE are not served."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=VENDOR_DIR)
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]  # read by collectstatic and whitenoise

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        if (VENDOR_DIR / NAME).is_file():
            return []
        return [
            checks.Error(
                f"The vendored plotly.js bundle {VENDOR_DIR / NAME} is missing: every chart needs it.",
                hint=f"Restore it as {VENDOR_DIR / 'README.md'} describes.",
                id="public.E001",
            )
        ]

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        match = self.storage.path(NAME) if path == f"{PREFIX}/{NAME}" else ""
        if find_all or kwargs.get("all"):
            return [match] if match else []
        return match

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield NAME, self.storage
