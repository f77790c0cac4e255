"""The API's entry points outside its resources: the index of /api/v1/, and Django's 404 and 500
handlers, which under /api/ answer in the API's one error format (JSON) and elsewhere with Django's
own pages."""

from __future__ import annotations

import inspect
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views import defaults
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import json_error

NO_SUCH_PATH = "No such resource: {path}. The resources are listed at /api/v1/."


class ResourceSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Name of the resource, e.g. tranches.")
    url = serializers.URLField(help_text="Where it is (a list, or the one answer of summary and timeseries).")
    description = serializers.CharField(help_text="What it holds.")


class IndexSerializer(serializers.Serializer):
    resources = ResourceSerializer(many=True, help_text="Every resource of the API.")
    schema = serializers.URLField(help_text="The OpenAPI 3 schema of the API (YAML; ?format=json for JSON).")
    docs = serializers.URLField(help_text="Interactive documentation of the API.")


def _summary(view: Any) -> str:
    """The first paragraph of a view's docstring, on one line."""
    text = inspect.getdoc(view) or ""
    return " ".join(text.split("\n\n")[0].split())


class IndexView(APIView):
    """The index of the API: each resource with its URL and what it holds, and where the schema and
    the docs are. The same whatever the release: it takes no ``as_of`` or ``release``."""

    renderer_classes = (JSONRenderer,)
    reads_release = False  # read by public.api.schema: no as_of/release, no 304

    @extend_schema(operation_id="index", responses=IndexSerializer)
    def get(self, request: Request) -> Response:
        from . import urls  # the routes list the resources (urls imports this module)

        resources = [
            {"name": name, "url": request.build_absolute_uri(reverse(f"api:{route}")), "description": _summary(view)}
            for name, route, view in urls.resources()
        ]
        body = {
            "resources": resources,
            "schema": request.build_absolute_uri(reverse("api-schema")),
            "docs": request.build_absolute_uri(reverse("api-docs")),
        }
        response = Response(IndexSerializer(body).data)
        patch_cache_control(response, public=True, max_age=settings.API_CACHE_MAX_AGE)
        return response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(404, NO_SUCH_PATH.format(path=request.path))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(500, "Server error; it has been logged.")
    return defaults.server_error(request)
