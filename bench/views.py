"""Views that exist only in the benchmark's URLconf (bench/urls.py)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from rest_framework import generics, pagination, serializers

from tranches.models import Tranche

FLOOR_BODY = b'{"floor": "fixed bytes: the cost of Django, its middleware and gunicorn, and nothing else"}\n'


def floor(request: HttpRequest) -> HttpResponse:
    """The floor: fixed bytes, through the same middleware as every page and the API. With
    ``?bytes=N``, N bytes (up to 1 MB): what sending an answer of that size costs by itself."""
    size = min(int(request.GET.get("bytes", "0") or 0), 1_000_000)
    body = FLOOR_BODY if size <= len(FLOOR_BODY) else FLOOR_BODY[:-2] + b" " * (size - len(FLOOR_BODY)) + b"}\n"
    return HttpResponse(body, content_type="application/json")


class TrancheModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tranche
        fields = "__all__"


class PageOf100(pagination.PageNumberPagination):
    page_size = 100


class TrancheModelListView(generics.ListAPIView):
    """What most projects ship: a ModelSerializer over the live table, page-numbered, filtered
    like the benchmark's tranche list (``?instrument=<slug>&stage=<stage>``). It reads the live rows,
    drafts included, so it is a cost comparison only, not a public view."""

    serializer_class = TrancheModelSerializer
    pagination_class = PageOf100
    filter_backends = ()
    throttle_classes = ()

    def get_queryset(self) -> QuerySet[Tranche]:
        rows = Tranche.objects.order_by("component_id", "planned_on", "name", "id")
        if instrument := self.request.query_params.get("instrument"):
            rows = rows.filter(component__instrument__slug=instrument)
        if stage := self.request.query_params.get("stage"):
            rows = rows.filter(stage=stage)
        return rows
