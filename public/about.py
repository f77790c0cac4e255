"""The pages that explain the data: the methodology (what each figure means and where it comes
from), the list of releases and each release's readable page (its note and what it published, in
the words of the Atom feed, with links to its figures and downloads).

They answer conditional GETs with a public max-age (API_CACHE_MAX_AGE). The methodology changes
with the code only: its ETag is the code's fingerprint and the language. The release pages change
with a new release only (a published release never changes, but a new one adds a row and a "next"
link): their ETag names the latest release (``release_latest_head``, one indexed read), so a
revalidation costs that read alone."""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext, ngettext
from django.views.decorators.http import condition, require_safe

from public.answers import CODE_FINGERPRINT
from public.api.selectors import (
    changes_of_releases,
    release_latest_head,
    releases_public,
    releases_with_counts,
)
from tranches.models import Release

RELEASES_PER_PAGE = 50
# A release's page lists at most this many of its changes in words; the API lists them all.
RELEASE_PAGE_CHANGES = 100
METHODOLOGY_LANGUAGES = ("en", "uk")

# Each kind of record a release publishes, counted in words ("3 tranches"). One function per kind,
# so that makemessages finds each pair of forms.
KIND_WORDS: dict[str, Callable[[int], str]] = {
    "instruments": lambda n: ngettext("%(count)s instrument", "%(count)s instruments", n),
    "components": lambda n: ngettext("%(count)s component", "%(count)s components", n),
    "tranches": lambda n: ngettext("%(count)s tranche", "%(count)s tranches", n),
    "disbursements": lambda n: ngettext("%(count)s payment", "%(count)s payments", n),
    "sources": lambda n: ngettext("%(count)s source", "%(count)s sources", n),
    "milestones": lambda n: ngettext("%(count)s milestone", "%(count)s milestones", n),
    "conditions": lambda n: ngettext("%(count)s condition", "%(count)s conditions", n),
    "estimates": lambda n: ngettext("%(count)s estimate", "%(count)s estimates", n),
    "open_questions": lambda n: ngettext("%(count)s open question", "%(count)s open questions", n),
    "citations": lambda n: ngettext("%(count)s citation", "%(count)s citations", n),
}


def page_language() -> str:
    """The language of the page's prose: "uk" for Ukrainian, "en" for anything else."""
    return "uk" if (get_language() or "").startswith("uk") else "en"


def count_text(number: int) -> str:
    """A whole number in the active language's format ("1,234"; in Ukrainian "1 234")."""
    return number_format(number, use_l10n=True, force_grouping=True)


def counts_in_words(counts: dict[str, int]) -> list[str]:
    """What a release published, kind by kind, in words: ["3 instruments", "12 tranches"]; kinds it
    did not publish are left out."""
    return [KIND_WORDS[kind](count) % {"count": count_text(count)} for kind, count in counts.items() if count]


def records_in_words(total: int) -> str:
    return ngettext("%(count)s record", "%(count)s records", total) % {"count": count_text(total)}


# ---------------------------------------------------------------- caching


def _latest(request: HttpRequest) -> tuple[int, datetime.datetime] | None:
    """The latest release, read once per request."""
    if not hasattr(request, "_about_latest"):
        request._about_latest = release_latest_head()  # type: ignore[attr-defined]
    return request._about_latest  # type: ignore[attr-defined]


def _etag(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def methodology_etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    """The methodology changes with the code only: its fingerprint, the language and the path."""
    return _etag("methodology", CODE_FINGERPRINT, get_language(), request.path)


def releases_etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    """The release pages change with a new release only (and with the code, the language, the path
    and the page asked for)."""
    latest = _latest(request)
    return _etag("releases", latest[0] if latest else 0, CODE_FINGERPRINT, get_language(), request.get_full_path())


def _public_max_age(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``Cache-Control: public, max-age=API_CACHE_MAX_AGE`` (read at each request), 304s included."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        patch_cache_control(response, public=True, max_age=settings.API_CACHE_MAX_AGE)
        return response

    return wrapped


# ---------------------------------------------------------------- reads


def release_with_neighbours(number: int) -> Release | None:
    """Release ``number`` (number, time and note) with ``previous`` and ``next``: the numbers of the
    releases published just before and after it (None at either end), and its counts
    (``published_counts``). None if no release has that number. Two queries."""
    before = Release.objects.filter(number__lt=OuterRef("number")).order_by("-number").values("number")[:1]
    after = Release.objects.filter(number__gt=OuterRef("number")).order_by("number").values("number")[:1]
    release = releases_public().filter(number=number).annotate(previous=Subquery(before), next=Subquery(after)).first()
    return releases_with_counts([release])[0] if release is not None else None


# ---------------------------------------------------------------- views


@require_safe
@_public_max_age
@condition(etag_func=methodology_etag)
def methodology(request: HttpRequest) -> HttpResponse:
    """What the figures mean and where they come from: allocated, committed and disbursed, the
    grades of sources, conflicting claims, releases, ``as_of`` and snapshots, what is not known yet,
    the other EU instruments and how numbers are written. The prose is one template per language
    (public/templates/public/methodology/en.html, uk.html); no database read."""
    context = {"prose": f"public/methodology/{page_language()}.html"}
    return HttpResponse(render_to_string("public/methodology.html", context, request))


@require_safe
@_public_max_age
@condition(etag_func=releases_etag)
def release_list(request: HttpRequest) -> HttpResponse:
    """Every published release, newest first, RELEASES_PER_PAGE a page (``?page=N``): its number,
    time (UTC), note and how many records of each kind it published, with links to its figures, its
    page and its downloads. Four queries (the latest release, the count, the page, the counts),
    whatever the number of releases. A page number out of range is a 404."""
    paginator = Paginator(releases_public().order_by("-number"), RELEASES_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as exc:
        raise Http404(gettext("There is no such page of releases.")) from exc
    releases = releases_with_counts(list(page.object_list))
    rows = [
        {
            "number": release.number,
            "published_at": release.published_at,
            "note": release.note,
            "total": records_in_words(sum(release.published_counts.values())),  # type: ignore[attr-defined]
            "counts": counts_in_words(release.published_counts),  # type: ignore[attr-defined]
        }
        for release in releases
    ]
    context = {"releases": rows, "page": page, "paginator": paginator}
    return HttpResponse(render_to_string("public/releases.html", context, request))


@require_safe
@_public_max_age
@condition(etag_func=releases_etag)
def release_about(request: HttpRequest, number: int) -> HttpResponse:
    """Release ``number`` in words: its note, when it was published (UTC), what it published (the
    counts, then each change as the Atom feed words it, at most RELEASE_PAGE_CHANGES), links to its
    figures, its downloads and the releases before and after it. A fixed number of queries (the
    latest release, the release with its neighbours, its counts, one per kind of record). A number
    no release has is a 404 that says so and names the latest release."""
    release = release_with_neighbours(number)
    if release is None:
        latest = _latest(request)
        missing: dict[str, Any] = {"missing": number, "latest": latest[0] if latest else None}
        return HttpResponse(render_to_string("public/release_about.html", missing, request), status=404)
    counts: dict[str, int] = release.published_counts  # type: ignore[attr-defined]
    total = sum(counts.values())
    changes = changes_of_releases([number], per_release=RELEASE_PAGE_CHANGES)[number]
    context: dict[str, Any] = {
        "release": release,
        "total": records_in_words(total),
        "counts": counts_in_words(counts),
        "sentences": [change.sentence for change in changes],
        # The change log's sentences are English (the API's and the feed's words): said so on other languages' pages.
        "sentences_in_another_language": get_language() != settings.LANGUAGE_CODE,
        "more": total - len(changes),
        "more_text": count_text(total - len(changes)),
    }
    return HttpResponse(render_to_string("public/release_about.html", context, request))
