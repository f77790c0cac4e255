"""plotly.js for the public charts, served as a local static file (no CDN): the bundle shipped inside
the installed ``plotly`` package, so the drawing library always matches the Python library that
built the figures. Listed in STATICFILES_FINDERS; ``collectstatic`` copies it like any other file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PREFIX = "public/vendor"
NAME = "plotly.min.js"


class PlotlyJsFinder(BaseFinder):
    """Finds exactly ``public/vendor/plotly.min.js`` and nothing else of the package."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=Path(plotly.__file__).parent / "package_data")
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]  # read by collectstatic and whitenoise

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        match = self.storage.path(NAME) if path == f"{PREFIX}/{NAME}" else ""
        if find_all or kwargs.get("all"):
            return [match] if match else []
        return match

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield NAME, self.storage
