"""The downloads of a release (docs/DOWNLOADS.md), answered through public.answers: a release's
number is their state, so a download is built once, kept in the cache under its ETag, answered 304
on If-None-Match, and served as immutable (a release never changes). ``latest…`` redirect to the
latest release's download. An unknown release is a 404 page, as on /releases/N/."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from public import answers
from tranches.models import Release

from .datapackage import datapackage_build, package_name
from .iati import NothingToReport, iati_build, reporting_org_ref

NO_RELEASE = "There is no release {number}."
NOTHING_PUBLISHED = "Nothing is published yet: there is no release to download."
RELEASE_ATTRIBUTE = "_download_release"


def _release_state(request: HttpRequest, number: int) -> answers.State:
    """Release ``number`` (its number, time and note: one query), kept on the request for the
    handler; pinned, as a release never changes. What else the bytes depend on is in the key: the
    site's name and address (the citation, links) and the IATI reporting organisation."""
    release = Release.objects.only("number", "published_at", "note").filter(number=number).first()
    if release is None:
        raise Http404(NO_RELEASE.format(number=number))
    setattr(request, RELEASE_ATTRIBUTE, release)
    return answers.State(
        key=(
            "download",
            release.number,
            release.published_at.isoformat(),
            settings.SITE_NAME,
            settings.SITE_URL,
            reporting_org_ref(),
        ),
        changed_at=release.published_at,
        pinned=True,
    )


def _release_of(request: HttpRequest, number: int) -> Release:
    release: Release | None = getattr(request, RELEASE_ATTRIBUTE, None)
    if release is None:  # the state was memoised before this request object saw it
        release = Release.objects.only("number", "published_at", "note").get(number=number)
    return release


def _download(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@answers.answered("download_datapackage", _release_state)
def release_datapackage(request: HttpRequest, number: int) -> HttpResponse:
    """Release ``number`` as a Frictionless data package (zip): a CSV per kind of record,
    datapackage.json and a README with the citation, licence and release note. 404 if no release
    has this number."""
    release = _release_of(request, number)
    return _download(datapackage_build(release), "application/zip", f"{package_name(number)}.zip")


@require_safe
@answers.answered("download_iati", _release_state)
def release_iati(request: HttpRequest, number: int) -> HttpResponse:
    """Release ``number`` as an IATI 2.03 activity file (XML, an activity per instrument). 404 if no
    release has this number, or it has no instrument published."""
    release = _release_of(request, number)
    try:
        body = iati_build(release)
    except NothingToReport as error:
        raise Http404(str(error)) from error
    return _download(body, "application/xml; charset=utf-8", f"{package_name(number)}-iati.xml")


def _to_latest(route: str) -> Callable[[HttpRequest], HttpResponse]:
    @require_safe
    def latest(request: HttpRequest) -> HttpResponse:
        number = Release.objects.order_by("-number").values_list("number", flat=True).first()
        if number is None:
            raise Http404(NOTHING_PUBLISHED)
        response = HttpResponseRedirect(reverse(f"downloads:{route}", args=[number]))
        # Follows the latest release: as short-lived as the API's answers that do.
        patch_cache_control(response, public=True, max_age=settings.API_CACHE_MAX_AGE)
        return response

    latest.__doc__ = f"302 to the latest release's {route.replace('release-', '')} (404 before the first release)."
    return latest


latest_datapackage = _to_latest("release-datapackage")
latest_iati = _to_latest("release-iati")
