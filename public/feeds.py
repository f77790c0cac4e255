"""Atom feed of releases at /feeds/changes/: one entry per release, newest first, with its note and
what it published in plain words (the same changes as /api/v1/releases/N/, never drafts, editors or
reviewers). Valid Atom 1.0 (RFC 4287; tests/api/test_feed.py checks it against the RFC's schema).

Ids and links are built on SITE_URL, never on the Host header: an entry keeps its id whatever name
the feed was fetched by. The author of the feed and of each entry is the publisher (FEED_AUTHOR_NAME).
Text typed as HTML (summary, content) is built with Django's escaping, so a tranche named
``<script>`` reaches a reader as those characters, never as a tag.

Route ``changes_feed``: it answers 304 to If-None-Match (the ETag names the latest release) and to
If-Modified-Since (Last-Modified is the latest release's time), at the cost of one indexed read."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import mark_safe
from django.views.decorators.http import condition

from public.api.selectors import Change, changes_of_releases, release_latest_head, releases_newest

FEED_PATH = "/feeds/changes/"


def site_url(path: str) -> str:
    """``path`` on the configured public address (SITE_URL), whatever the request's Host."""
    return f"{settings.SITE_URL}{path}"


def first_line(note: str) -> str:
    """The first non-empty line of a release note: the title of its entry."""
    return next((line.strip() for line in note.splitlines() if line.strip()), "")


@dataclass(frozen=True)
class ReleaseEntry:
    """A release as the feed shows it: its note, its counts and (up to FEED_ENTRY_CHANGES of) its changes."""

    number: int
    published_at: datetime.datetime
    note: str
    counts: dict[str, int]
    changes: list[Change]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def feed_entries() -> list[ReleaseEntry]:
    """The newest FEED_CHANGES_ITEMS releases with their changes. A fixed number of queries (the
    releases, their counts, one per kind of record), whatever the size of the releases."""
    releases = releases_newest(limit=settings.FEED_CHANGES_ITEMS)
    changes = changes_of_releases([r.number for r in releases], per_release=settings.FEED_ENTRY_CHANGES)
    return [
        ReleaseEntry(
            number=release.number,
            published_at=release.published_at,
            note=release.note,
            counts=release.published_counts,  # type: ignore[attr-defined]
            changes=changes[release.number],
        )
        for release in releases
    ]


class ReleaseAtomFeed(Atom1Feed):
    """Atom 1.0 with what Django's Atom1Feed leaves out: an entry's content (type="html") and a
    link to the release in the API (rel="related")."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("link", "", {"rel": "related", "href": item["api_link"], "type": "application/json"})
        handler.addQuickElement("content", item["content"], {"type": "html"})


class ChangesFeed(Feed):
    """Atom 1.0 feed of the latest FEED_CHANGES_ITEMS releases, one entry each."""

    feed_type = ReleaseAtomFeed
    subtitle = (
        "Each release of reviewed figures (tranches, payments, sources) with its note and what it added "
        "or changed. Amounts in EUR."
    )

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = f"public, max-age={settings.API_CACHE_MAX_AGE}"
        return response

    def title(self) -> str:
        return f"{settings.SITE_NAME}: releases"

    def link(self) -> str:
        return site_url("/")

    def feed_url(self) -> str:
        return site_url(FEED_PATH)

    def feed_guid(self) -> str:
        return site_url(FEED_PATH)

    def author_name(self) -> str:
        return settings.FEED_AUTHOR_NAME

    def author_link(self) -> str:
        return site_url("/")

    def items(self) -> list[ReleaseEntry]:
        return feed_entries()

    def item_title(self, item: ReleaseEntry) -> str:
        line = first_line(item.note)
        return f"Release {item.number}: {line}" if line else f"Release {item.number}"

    def item_link(self, item: ReleaseEntry) -> str:
        return site_url(f"/releases/{item.number}/")

    def item_guid(self, item: ReleaseEntry) -> str:
        return site_url(f"/releases/{item.number}/")

    def item_author_name(self, item: ReleaseEntry) -> str:
        return settings.FEED_AUTHOR_NAME

    def item_author_link(self, item: ReleaseEntry) -> str:
        return site_url("/")

    def item_pubdate(self, item: ReleaseEntry) -> datetime.datetime:
        return item.published_at

    def item_updateddate(self, item: ReleaseEntry) -> datetime.datetime:
        return item.published_at  # a published release never changes

    def item_description(self, item: ReleaseEntry) -> str:
        """The summary (HTML): the release's note."""
        if not item.note.strip():
            return format_html("<p>Release {}</p>", item.number)
        return mark_safe(linebreaks(item.note, autoescape=True))  # noqa: S308 (every line escaped by linebreaks)

    def item_extra_kwargs(self, item: ReleaseEntry) -> dict[str, Any]:
        return {"content": self.item_content(item), "api_link": site_url(f"/api/v1/releases/{item.number}/")}

    def item_content(self, item: ReleaseEntry) -> str:
        """The content (HTML): the note, then each change in plain words, and a link to the rest."""
        listed = format_html_join("\n", "<li>{}</li>", ((change.sentence,) for change in item.changes))
        rest = item.total - len(item.changes)
        more = (
            format_html(
                '<p>… and {} more: <a href="{}">the whole release</a>.</p>',
                f"{rest:,}",
                site_url(f"/api/v1/releases/{item.number}/"),
            )
            if rest > 0
            else ""
        )
        records = f"{item.total:,} record" + ("" if item.total == 1 else "s")
        return format_html(
            "{}<p>Release {} published {}:</p>\n<ul>\n{}\n</ul>{}",
            self.item_description(item),
            item.number,
            records,
            listed,
            more,
        )


def _latest(request: HttpRequest) -> tuple[int, datetime.datetime] | None:
    """The latest release, read once per request (the ETag and Last-Modified both need it)."""
    if not hasattr(request, "_feed_latest"):
        request._feed_latest = release_latest_head()  # type: ignore[attr-defined]
    return request._feed_latest  # type: ignore[attr-defined]


def feed_etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    """The feed changes with a release only (published releases never change)."""
    latest = _latest(request)
    return f"feed-changes-r{latest[0] if latest else 0}-n{settings.FEED_CHANGES_ITEMS}-{settings.FEED_ENTRY_CHANGES}"


def feed_last_modified(request: HttpRequest, *args: Any, **kwargs: Any) -> datetime.datetime | None:
    latest = _latest(request)
    return latest[1] if latest else None


# The view to route at /feeds/changes/ (with require_safe): the feed with conditional GET.
changes_feed = condition(etag_func=feed_etag, last_modified_func=feed_last_modified)(ChangesFeed())
