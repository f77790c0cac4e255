"""OpenAPI schema (drf-spectacular): the contract the API keeps, checked by schemathesis with all its
checks (tests/api/test_contract.py). Every operation documents, centrally here rather than per view:

- ``as_of`` and ``release`` (every resource reads the published state of a release) and ``format``;
- the bounds and allowed values of every query parameter (``page`` ≥ 1, ``page_size`` 1…10,000,
  ``ordering`` as a list of fields and -fields, filters as public.api.filters declares them), each
  with ``allowEmptyValue``: an empty value is the same as leaving the parameter out;
- 200 as JSON with its serializer's schema, and CSV and XLSX as their own media types (a text and a
  binary file, not the JSON schema); 304 for conditional GET;
- 400, 404, 406 and 429 with the one error schema (public.api.errors), each with an example."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.settings import api_settings

from .errors import ErrorSerializer, error_body
from .filters import NO_NUL, filter_schema
from .pagination import EXPORT_MAX_ROWS, PAGE_MAX, PAGE_PAST_THE_END, page_size_help
from .params import AS_OF, AS_OF_HELP, AS_OF_INVALID, RELEASE, RELEASE_HELP, RELEASE_MAX, RELEASE_UNKNOWN
from .renderers import CSVRenderer, XLSXRenderer

FORMAT_HELP = (
    "json (default), csv or xlsx; the Accept header works too. In CSV and XLSX, nested objects become "
    "dotted columns and cells starting with = + - @ are prefixed with an apostrophe. Errors are always JSON."
)
EMPTY_IS_ABSENT = "An empty value is the same as leaving the parameter out."
ORDERING_HELP = "Sort by these fields, comma-separated; a leading '-' sorts descending. One of: {fields}."
WHOLE_ID = r"^[0-9]{1,18}$"
RELEASE_NUMBER = r"^[0-9]{1,9}$"
NOT_MODIFIED = (
    "Not Modified: the answer is the one the client has (If-None-Match matches the ETag, or nothing "
    "changed since If-Modified-Since). No body."
)
ERRORS = {
    status.HTTP_400_BAD_REQUEST: "A query parameter breaks its documented form or bounds; `parameters` names it.",
    status.HTTP_404_NOT_FOUND: (
        "Nothing here: an unknown id, a page past the end, a release number not published, a date before the "
        "first release, or figures not built yet."
    ),
    status.HTTP_406_NOT_ACCEPTABLE: "The Accept header names no format this resource has (JSON, CSV, XLSX).",
    status.HTTP_429_TOO_MANY_REQUESTS: "Too many requests from this address; retry after Retry-After seconds.",
}
NOT_ACCEPTABLE = "Could not satisfy the request Accept header."
THROTTLED = "Request was throttled. Expected available in 42 seconds."
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer", "minimum": 0}, "description": "Seconds to wait before retrying."}
}


def _example(
    summary: str, status_code: int, message: str, parameter: str | None = None, code: str | None = None
) -> dict[str, Any]:
    parameters = {parameter: [message]} if parameter else None
    if status_code == 400 and parameter:
        body = error_body(status_code, f"Invalid query parameter: {parameter}.", parameters)
    else:
        body = error_body(status_code, message, parameters, code)
    return {"summary": summary, "value": body}


class AutoSchema(SpectacularAutoSchema):
    def get_override_parameters(self) -> list[Any]:
        if not getattr(self.view, "reads_release", True):
            return super().get_override_parameters()
        as_of = OpenApiParameter(AS_OF, OpenApiTypes.DATE, description=AS_OF_HELP, required=False)
        release = OpenApiParameter(RELEASE, OpenApiTypes.INT, description=RELEASE_HELP, required=False)
        return [as_of, release, *super().get_override_parameters()]

    def _get_format_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            parameter["description"] = FORMAT_HELP
        return parameters

    # ------------------------------------------------------------------------------ parameters

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter.get("in") == "query":
                self._query_parameter(parameter)
            elif parameter.get("in") == "path":
                self._path_parameter(parameter)
        return parameters

    def _query_parameter(self, parameter: dict[str, Any]) -> None:
        name = parameter["name"]
        schema = parameter.setdefault("schema", {})
        declared = self._filters().get(name)
        if name == RELEASE:
            schema.update(minimum=1, maximum=RELEASE_MAX)
        elif name == "page":
            schema.update(type="integer", minimum=1, maximum=PAGE_MAX)
        elif name == "page_size":
            schema.update(type="integer", minimum=1, maximum=EXPORT_MAX_ROWS)
            parameter["description"] = page_size_help()
        elif name == api_settings.ORDERING_PARAM and self._ordering_fields():
            fields = self._ordering_fields()
            values = [term for field in fields for term in (field, f"-{field}")]
            parameter["schema"] = {"type": "array", "items": {"type": "string", "enum": values}}
            parameter.update(style="form", explode=False)
            parameter["description"] = ORDERING_HELP.format(fields=", ".join(fields))
        elif declared is not None and (found := filter_schema(declared)) is not None:
            parameter["schema"] = found
        elif schema.get("type") == "string" and not schema.get("enum") and not schema.get("format"):
            schema.setdefault("pattern", NO_NUL)
        if name == "cursor":
            schema.pop("pattern", None)
        parameter["allowEmptyValue"] = True
        description = parameter.get("description", "")
        if EMPTY_IS_ABSENT not in description:
            parameter["description"] = f"{description} {EMPTY_IS_ABSENT}".strip()

    @staticmethod
    def _path_parameter(parameter: dict[str, Any]) -> None:
        pattern = parameter.get("schema", {}).get("pattern")
        if pattern == WHOLE_ID:
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}
            parameter.setdefault("description", "The record's stable id.")
        elif pattern == RELEASE_NUMBER:
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": RELEASE_MAX}
            parameter.setdefault("description", "The release's number.")
        else:
            parameter.setdefault("description", "The snapshot's hash (SHA-256, 64 hexadecimal digits).")

    def _filters(self) -> dict[str, Any]:
        filterset_class = getattr(self.view, "filterset_class", None)
        return dict(filterset_class.base_filters) if filterset_class is not None else {}

    def _ordering_fields(self) -> list[str]:
        fields = getattr(self.view, "ordering_fields", None)
        return [str(field) for field in fields] if isinstance(fields, list | tuple) else []

    # ------------------------------------------------------------------------------- responses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        ok = responses.get("200", {})
        content = ok.get("content", {})
        if CSVRenderer.media_type in content:
            content[CSVRenderer.media_type] = {
                "schema": {"type": "string", "description": "CSV (RFC 4180, UTF-8) with a header row."}
            }
        if XLSXRenderer.media_type in content:
            content[XLSXRenderer.media_type] = {
                "schema": {"type": "string", "format": "binary", "description": "An Excel workbook, one sheet."}
            }
        ok["description"] = ok.get("description") or "OK"
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        examples = self._error_examples()
        codes = [code for code in ERRORS if code != status.HTTP_404_NOT_FOUND or code in examples]
        for code in codes:
            responses[str(code)] = {
                "description": ERRORS[code],
                "content": {"application/json": {"schema": error, "examples": examples.get(code, {})}},
            }
            if code == status.HTTP_429_TOO_MANY_REQUESTS:
                responses[str(code)]["headers"] = RETRY_AFTER
        if getattr(self.view, "reads_release", True):
            responses["304"] = {"description": NOT_MODIFIED}
        return dict(sorted(responses.items()))

    def _error_examples(self) -> dict[int, dict[str, Any]]:
        """One example per error status of this operation, named after what causes it."""
        detail = "{" in self.path
        lookup = getattr(self.view, "lookup_url_kwarg", None) or getattr(self.view, "lookup_field", "id")
        name = getattr(self.view, "basename", None) or "record"
        reads_release = getattr(self.view, "reads_release", True)
        bad_request = (
            _example("A date not as YYYY-MM-DD", 400, AS_OF_INVALID.format(value="2026-6-1"), AS_OF)
            if reads_release
            else _example("An unknown format", 400, "Unknown format 'pdf'; use one of: json.", "format")
        )
        examples: dict[int, dict[str, Any]] = {
            400: {"invalid_parameter": bad_request},
            406: {"not_acceptable": _example("No format matches Accept", 406, NOT_ACCEPTABLE)},
            429: {"throttled": _example("Too many requests", 429, THROTTLED)},
        }
        not_found: dict[str, Any] = {}
        if detail and lookup == "hash":
            not_found["not_found"] = _example("An unknown hash", 404, f"No {name} has this hash.")
        elif detail:
            not_found["not_found"] = _example(f"An unknown {lookup}", 404, f"No {name} has {lookup} 123.")
        elif getattr(self.view, "pagination_class", None) is not None and self._is_list_view():
            not_found["page_past_the_end"] = _example(
                "A page past the end", 404, PAGE_PAST_THE_END.format(page=9, last=2), "page"
            )
        if reads_release:
            not_found["unknown_release"] = _example(
                "A release not published", 404, RELEASE_UNKNOWN.format(number=7, latest=2), code="unknown_release"
            )
        if not_found:
            examples[404] = not_found
        return examples
