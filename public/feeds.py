"""Atom feed of the public change log at /feeds/changes/: newly published tranches, disbursements
and corrections, newest first (the same entries as /api/v1/changes/, without drafts or editors)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed

from public.api.selectors import Change, changes_page
from public.api.serializers import plain

ENTITY_PATHS = {
    "instrument": "instruments",
    "component": "components",
    "tranche": "tranches",
    "disbursement": "disbursements",
    "source": "sources",
    "citation": "citations",
}


class ChangesFeed(Feed):
    """Atom 1.0 feed of the latest FEED_CHANGES_ITEMS publications."""

    feed_type = Atom1Feed
    title = "EU Ukraine-loan tracker: changes"
    link = "/api/v1/changes/"
    subtitle = "Tranches, disbursements and sources as they are published or corrected (amounts in EUR)."

    def items(self) -> list[Change]:
        return changes_page(limit=settings.FEED_CHANGES_ITEMS).changes

    def item_title(self, item: Change) -> str:
        verb = "Published" if item.kind == "added" else "Corrected"
        return f"{verb} {item.entity}: {item.label}"

    def item_description(self, item: Change) -> str:
        if not item.changes:
            return "Published again without a change to its public fields."
        return "; ".join(
            f"{c.field}: {plain(c.old) if c.old is not None else '—'} → {plain(c.new)}" for c in item.changes
        )

    def item_link(self, item: Change) -> str:
        return f"/api/v1/{ENTITY_PATHS[item.entity]}/{item.record_id}/"

    def item_guid(self, item: Change) -> str:
        return f"urn:loantracker:{item.entity}:{item.record_id}:{item.version_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Change) -> datetime.datetime:
        return item.published_at

    def item_updateddate(self, item: Change) -> datetime.datetime:
        return item.published_at
