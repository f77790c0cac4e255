"""The admin login throttle's two hooks into django-axes (settings in loantracker/settings/logins.py):
which address a login comes from, and the page a locked-out login gets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

# What the lockout page says; {limit} failed logins, {minutes} of cool-off.
LOCKED_OUT = (
    "Too many failed logins ({limit}) for this account or from this address. Logins are refused, even "
    "with the right password, until {minutes} minutes have passed without a failed attempt."
)
LOCKED_OUT_UNTIL_UNLOCKED = (
    "Too many failed logins ({limit}) for this account or from this address. Logins are refused, even "
    "with the right password, until a superuser unlocks them."
)
# Who can lift it sooner; how (the admin's Axes pages, manage.py axes_reset_username) is in docs/SECURITY.md.
UNLOCK = "If these were your attempts, ask a superuser of this site to unlock your account sooner."


def client_ip(request: HttpRequest) -> str | None:
    """The client's address exactly as the API throttle identifies it: REMOTE_ADDR unless
    ``API_NUM_PROXIES`` proxies append to X-Forwarded-For, then the address the outermost one wrote
    (docs/SECURITY.md, "Throttling and API_NUM_PROXIES"). A header the client sent itself never counts."""
    ident: str | None = BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    return ident


def lockout_message() -> str:
    cooloff = settings.AXES_COOLOFF_TIME
    if cooloff is None:
        return LOCKED_OUT_UNTIL_UNLOCKED.format(limit=settings.AXES_FAILURE_LIMIT)
    minutes = max(1, round(cooloff.total_seconds() / 60))
    return LOCKED_OUT.format(limit=settings.AXES_FAILURE_LIMIT, minutes=minutes)


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    """The admin's page for a refused login: 429 Too Many Requests, with how long it lasts
    (``Retry-After`` in seconds when there is a cool-off) and who can unlock it."""
    context = {
        **admin.site.each_context(request),
        "title": "Login refused",
        "message": lockout_message(),
        "unlock": UNLOCK,
    }
    response = render(request, "admin/locked_out.html", context, status=429)
    if settings.AXES_COOLOFF_TIME is not None:
        response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
