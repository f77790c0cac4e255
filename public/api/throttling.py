"""Throttling of anonymous bursts: over the rate, 429 with Retry-After (seconds)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class AnonBurstThrottle(AnonRateThrottle):
    """Requests per client IP at ``settings.API_THROTTLE_ANON`` ("120/min" by default; None turns it
    off). Read at each request so that a deployment or a test can change it without a restart."""

    scope = "anon"

    def get_rate(self) -> str | None:
        return getattr(settings, "API_THROTTLE_ANON", None)

    def allow_request(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
