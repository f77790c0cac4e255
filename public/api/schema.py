"""OpenAPI schema: every operation of the API documents ``as_of`` and ``release`` (every resource
reads the published state of a release) and
the ``format`` parameter (JSON, CSV, XLSX)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from .params import AS_OF, AS_OF_HELP, RELEASE, RELEASE_HELP

FORMAT_HELP = (
    "json (default), csv or xlsx; the Accept header works too. In CSV and XLSX, nested objects become "
    "dotted columns and cells starting with = + - @ are prefixed with an apostrophe."
)


class AutoSchema(SpectacularAutoSchema):
    def get_override_parameters(self) -> list[Any]:
        as_of = OpenApiParameter(AS_OF, OpenApiTypes.DATE, description=AS_OF_HELP, required=False)
        release = OpenApiParameter(RELEASE, OpenApiTypes.INT, description=RELEASE_HELP, required=False)
        return [as_of, release, *super().get_override_parameters()]

    def _get_format_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            parameter["description"] = FORMAT_HELP
        return parameters
