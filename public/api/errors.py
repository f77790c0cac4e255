"""One error format for the whole API::

    {"error": {"status": 400, "code": "invalid_parameter", "message": "…",
               "parameters": {"as_of": ["Enter a date as YYYY-MM-DD, e.g. 2026-06-30."]}}}

``parameters`` names each bad query parameter (empty for errors that are not about one)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class InvalidParameter(exceptions.ValidationError):
    """A query parameter has a value the API cannot use (400, naming the parameter)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__({parameter: [message]}, code="invalid_parameter")


CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid_parameter",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _flatten(value)]
    return [str(detail)]


def error_body(status_code: int, message: str, parameters: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The body of an API error response."""
    return {
        "error": {
            "status": status_code,
            "code": CODES.get(status_code, "error"),
            "message": message,
            "parameters": parameters or {},
        }
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, Retry-After on 429), then the body in the API's one error format."""
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
    response.data = error_body(response.status_code, message, parameters)
    return response


def json_error(status_code: int, message: str) -> Any:
    """A Django response in the API's error format, for errors raised outside DRF's views."""
    from django.http import JsonResponse

    return JsonResponse(error_body(status_code, message), status=status_code)
