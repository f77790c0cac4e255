"""Health checks for load balancers and monitoring (django-health-check): ``/healthz/`` and
``/healthz/web/`` (docs/DEPLOY.md, "Health checks").

- ``/healthz/`` (monitoring): the database, the cache, the broker (Redis, when ``REDIS_URL`` is set)
  and the age of the figures: the latest release's figures are built, or it was published less
  than ``FIGURES_MAX_AGE`` seconds ago. A worker that takes no jobs shows here too, as figures that
  stay unbuilt.
- ``/healthz/web/`` (the load balancer): the database, what a web server needs to answer. A
  cache or broker outage or late figures must not take every web server out of rotation: public
  reads compute what the cache would have kept (it fails open, public/answers.py) and the site
  keeps serving the last built figures meanwhile.

Both answer JSON, ``{"healthy": true, "checks": {"database": "OK", …}}``, with 200 when every check
passes and 503 otherwise. A failure says what, never how to reach it: no host, user or password
(the library's checks give fixed texts, and any unexpected exception becomes "unknown error").
Not behind the API's throttle (not an API view), never cached, no cookie."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any, ClassVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

from tranches.models import Release

from . import services

OK = "OK"
BROKER_NOT_USED = "not used: REDIS_URL is unset, jobs run in the web process right after each publication"
NO_RELEASE = "OK: no release published yet, no figures to build"
FIGURES_BUILT = "OK: the figures of release {number} are built"
FIGURES_DUE = (
    "OK: release {number} was published {age} s ago and its figures are {status}; "
    "healthy until FIGURES_MAX_AGE ({limit} s)"
)
FIGURES_LATE = (
    "release {number} was published {age} s ago and its figures are still {status}, past "
    "FIGURES_MAX_AGE ({limit} s): see the admin's Job runs"
)
# figures_status's answers in words.
STATUS_WORDS = {
    services.FiguresStatus.PENDING: "not built",
    services.FiguresStatus.FAILED: "not built (the last build failed)",
}


class Described(HealthCheck):
    """A check that says what it found when it passes (``detail``), not just OK."""

    detail: str = OK


@dataclasses.dataclass
class BrokerNotUsed(Described):
    """Stands for the broker when there is none (REDIS_URL unset): passes, and says so."""

    detail: str = BROKER_NOT_USED

    async def run(self) -> None:
        return None


@dataclasses.dataclass
class FiguresAge(Described):
    """The latest release's figures are built (reports.services.figures_status), or the release was
    published less than ``max_age`` seconds ago. Fails past it, naming the release, its age and the
    limit."""

    max_age: int = 900
    detail: str = dataclasses.field(default=OK, repr=False)

    async def run(self) -> None:
        # In the request's own thread and database connection (thread_sensitive), as every other query.
        self.detail = await sync_to_async(self.examine, thread_sensitive=True)()

    def examine(self) -> str:
        latest = Release.objects.order_by("-number").only("number", "published_at").first()
        if latest is None:
            return NO_RELEASE
        status = services.figures_status(release=latest.number)
        if status == services.FiguresStatus.BUILT:
            return FIGURES_BUILT.format(number=latest.number)
        age = max(0, int((timezone.now() - latest.published_at).total_seconds()))
        words = STATUS_WORDS.get(status, status)
        if age > self.max_age:
            raise ServiceUnavailable(
                FIGURES_LATE.format(number=latest.number, age=age, status=words, limit=self.max_age)
            )
        return FIGURES_DUE.format(number=latest.number, age=age, status=words, limit=self.max_age)


def broker_client() -> RedisClient:
    """A new client of the broker's Redis; short timeouts so that a probe never hangs."""
    return RedisClient.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def broker_check() -> HealthCheck:
    if not settings.REDIS_URL:
        return BrokerNotUsed()
    return Redis(client_factory=broker_client)


class HealthView(HealthCheckView):
    """Every check, as JSON: 200 when all pass, 503 otherwise."""

    names: ClassVar[tuple[str, ...]] = ("database", "cache", "broker", "figures")

    def make_checks(self) -> dict[str, HealthCheck]:
        made: dict[str, Any] = {
            "database": lambda: Database(),
            "cache": lambda: Cache(),
            "broker": broker_check,
            "figures": lambda: FiguresAge(max_age=int(settings.FIGURES_MAX_AGE)),
        }
        return {name: made[name]() for name in self.names}

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        checks = self.make_checks()
        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for check in checks.values()))
        answers = {
            name: str(result.error) if result.error else getattr(result.check, "detail", OK)
            for name, result in zip(checks, results, strict=True)
        }
        healthy = not any(result.error for result in results)
        return JsonResponse({"healthy": healthy, "checks": answers}, status=200 if healthy else 503)


class WebHealthView(HealthView):
    """What a web server needs to answer (the load balancer's check): the database. Not the cache:
    without it the answers are computed each time, which /healthz/ reports to monitoring."""

    names: ClassVar[tuple[str, ...]] = ("database",)
