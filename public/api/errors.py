"""One error format for the whole API, always JSON whatever format was asked for::

    {"error": {"status": 400, "code": "invalid_parameter", "message": "…",
               "parameters": {"as_of": ["Enter a date as YYYY-MM-DD, e.g. 2026-06-30."]}}}

``parameters`` names each bad query parameter (empty for errors that are not about one). Messages
name what the reader asked for ("No tranche has id 123."), never an internal model."""

from __future__ import annotations

from typing import Any

from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

INVALID_PARAMETER = "invalid_parameter"
NOT_FOUND = "not_found"

CODES = {
    status.HTTP_400_BAD_REQUEST: INVALID_PARAMETER,
    status.HTTP_404_NOT_FOUND: NOT_FOUND,
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
    status.HTTP_500_INTERNAL_SERVER_ERROR: "server_error",
}
# DRF's generic codes: the status's own code (CODES) replaces them. Any other code an exception
# carries (e.g. NotFound(detail, code="before_first_release")) is kept: it says more.
GENERIC_CODES = {
    "invalid", "parse_error", "not_found", "method_not_allowed", "not_acceptable", "throttled", "error",
    "unsupported_media_type", "permission_denied", "not_authenticated", "authentication_failed",
}  # fmt: skip


class InvalidParameter(exceptions.ValidationError):
    """A query parameter has a value the API cannot use (400, naming the parameter)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__({parameter: [message]}, code=INVALID_PARAMETER)


class ParameterNotFound(exceptions.NotFound):
    """A well-formed query parameter names nothing that exists, e.g. a page past the end or a
    release not published (404, naming the parameter)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message, code=NOT_FOUND)
        self.parameter = parameter


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, e.g. 400.")
    code = serializers.CharField(
        help_text="What went wrong: invalid_parameter (400); not_found, unknown_release, before_first_release, "
        "figures_not_built (404); method_not_allowed (405); not_acceptable (406); throttled (429); "
        "server_error (500)."
    )
    message = serializers.CharField(help_text="A sentence for people, naming what was asked for.")
    parameters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each query parameter at fault, with what is wrong with it; empty when the error is not about one.",
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer of the API."""

    error = ErrorDetailSerializer(help_text="What went wrong.")


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _flatten(value)]
    return [str(detail)]


def error_body(
    status_code: int, message: str, parameters: dict[str, list[str]] | None = None, code: str | None = None
) -> dict[str, Any]:
    """The body of an API error response."""
    return {
        "error": {
            "status": status_code,
            "code": code or CODES.get(status_code, "error"),
            "message": message,
            "parameters": parameters or {},
        }
    }


def not_found_message(view: Any) -> str:
    """What a 404 of a detail says: the resource and the key asked for, never the model behind it."""
    kwargs = getattr(view, "kwargs", None) or {}
    name = getattr(view, "basename", None) or getattr(view, "export_name", None)
    key = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    if name and key and key in kwargs:
        value = kwargs[key]
        return f"No {name} has this hash." if key == "hash" else f"No {name} has {key} {value}."
    return "Nothing was found here."


def _code(exc: Exception) -> str | None:
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    return codes if isinstance(codes, str) and codes not in GENERIC_CODES | {INVALID_PARAMETER} else None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, Retry-After on 429), then the body in the API's one error format,
    rendered as JSON even when CSV or XLSX was asked for (an error is not a table)."""
    if isinstance(exc, Http404):  # get_object_or_404's message names the model: say what was asked
        exc = exceptions.NotFound(not_found_message(context.get("view")))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    parameters: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        parameters = {str(name): _flatten(value) for name, value in exc.detail.items()}
        names = ", ".join(parameters)
        message = f"Invalid query parameter{'s' if len(parameters) > 1 else ''}: {names}."
    else:
        message = " ".join(_flatten(getattr(exc, "detail", str(exc))))
        if isinstance(exc, ParameterNotFound):
            parameters = {exc.parameter: [message]}
    response.data = error_body(response.status_code, message, parameters, _code(exc))
    request = context.get("request")
    if request is not None:  # DRF's finalize_response renders with the request's renderer
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response


def json_error(status_code: int, message: str) -> JsonResponse:
    """A Django response in the API's error format, for errors raised outside DRF's views."""
    return JsonResponse(error_body(status_code, message), status=status_code)
