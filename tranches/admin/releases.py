"""Review and publication: the pending changes, the review of a chosen set, and Release N.

- *Pending changes* (``/admin/tranches/release/pending/``): every draft, who changed it and when,
  what differs from its published version. Editors see it; reviewers choose changes to review.
- *Review*: each chosen change as old → new with human field names, the figures before and after
  of every instrument and component they touch, and the result of every release check (the
  release is tried and rolled back). The reviewer writes the public note and publishes.
- *Publish*: ``services.release_publish`` with the versions the reviewer saw: a draft changed
  since the review is refused, so nothing unreviewed goes out.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .. import selectors, services
from ..models import (
    PUBLISHABLE_MODELS,
    Citation,
    Component,
    Condition,
    Disbursement,
    Estimate,
    Instrument,
    Milestone,
    OpenQuestion,
    Publishable,
    PublishedTranche,
    Purpose,
    Release,
    Source,
    Tranche,
)

PUBLISHED = "Release {number} published ({count} change(s)). The list shows when its figures are built."
NOTHING_CHOSEN = "Choose at least one pending change to review."
BAD_REVIEW_FORM = "The review form was changed or is from another version of the tracker; review the changes again."


def _affected(changes: list[selectors.PendingChange]) -> tuple[list[Instrument], list[Component]]:
    """The instruments and components whose figures the changes can move (a few queries)."""
    instrument_ids: set[int] = set()
    component_ids: set[int] = set()
    tranche_ids: set[int] = set()
    for change in changes:
        record: Any = change.record
        if isinstance(record, Instrument):
            instrument_ids.add(record.pk)
        elif isinstance(record, Component):
            component_ids.add(record.pk)
        elif isinstance(record, Tranche):
            component_ids.add(record.component_id)
        elif isinstance(record, Disbursement):
            tranche_ids.add(record.tranche_id)
    component_ids |= set(Tranche.objects.filter(pk__in=tranche_ids).values_list("component_id", flat=True))
    components = list(Component.objects.filter(pk__in=component_ids).select_related("instrument").order_by("pk"))
    instrument_ids |= {component.instrument_id for component in components}
    return list(Instrument.objects.filter(pk__in=instrument_ids).order_by("pk")), components


def _figures(instruments: list[Instrument], components: list[Component]) -> list[tuple[str, selectors.Totals]]:
    """The published figures (EUR) of these instruments and components, as the state stands now."""
    rows = [(str(i), selectors.instrument_totals(instrument=i, public=True)) for i in instruments]
    return rows + [(str(c), selectors.component_totals(component=c, public=True)) for c in components]


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin):
    """The list of purposes reviewers keep; tranches take their purpose from it."""

    list_display = ("name", "description")
    search_fields = ("name",)

    def _in_use(self, obj: Purpose | None) -> bool:
        """Tranches (drafts or published versions) use it: renaming or deleting it would leave them
        with a purpose off the list, and every later release would be refused."""
        if obj is None:
            return False
        return (
            Tranche.objects.filter(purpose=obj.name).exists()
            or PublishedTranche.objects.filter(purpose=obj.name, left__isnull=True).exists()
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("name",) if self._in_use(obj) else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not self._in_use(obj)


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Releases are made on the review page, never edited: the list is the public corrections log."""

    # reports.admin adds whether each release's figures are built (tranches knows nothing of figures).
    list_display: Any = ("number", "published_at", "published_by", "note")
    readonly_fields: Any = ("number", "published_at", "published_by", "note")  # type: ignore[misc]
    change_list_template = "admin/tranches/release/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("pending/", wrap(self.pending_view), name="tranches_release_pending"),
            path("review/", wrap(self.review_view), name="tranches_release_review"),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "can_release": services.can_release(request.user),
            **extra,
        }

    def pending_view(self, request: HttpRequest) -> HttpResponse:
        """Every pending change; reviewers tick the ones to review."""
        if not request.user.has_perm("tranches.view_release"):
            raise PermissionDenied
        pending = selectors.pending_changes()
        groups = _Groups(pending)
        rows = [
            (
                change,
                services.Change.of(change.record).token,
                _admin_url(change.record),
                _together_url(change, groups),
                TOGETHER_TRANCHE if isinstance(change.record, Tranche) else TOGETHER_RECORD,
            )
            for change in pending
        ]
        return TemplateResponse(
            request,
            "admin/tranches/release/pending.html",
            self._context(request, title="Pending changes", rows=rows),
        )

    def review_view(self, request: HttpRequest) -> HttpResponse:
        """GET: review the chosen changes. POST: publish them as the next release."""
        if not services.can_release(request.user):
            raise PermissionDenied(services.RELEASE_NOT_ALLOWED.format(user=request.user))
        params = request.POST if request.method == "POST" else request.GET
        try:
            changes = [services.Change.from_token(token) for token in params.getlist("change")]
        except ValueError:
            messages.error(request, BAD_REVIEW_FORM)
            return HttpResponseRedirect(reverse("admin:tranches_release_pending"))
        if not changes:
            messages.error(request, NOTHING_CHOSEN)
            return HttpResponseRedirect(reverse("admin:tranches_release_pending"))
        note = params.get("note", "")
        errors: list[str] = []
        if request.method == "POST":
            try:
                release = services.release_publish(changes=changes, user=request.user, note=note)
            except ValidationError as refused:
                errors = refused.messages
            else:
                messages.success(request, PUBLISHED.format(number=release.number, count=len(changes)))
                return HttpResponseRedirect(reverse("admin:tranches_release_changelist"))
        only: dict[type[Publishable], set[int]] = {}
        for change in changes:
            only.setdefault(change.model, set()).add(change.pk)
        reviewed = selectors.pending_changes(only=only)
        versions = {(type(c.record), c.record.pk): c.record.version for c in reviewed}
        stale = [c for c in changes if versions.get((c.model, c.pk)) != c.version]
        instruments, components = _affected(reviewed)
        before = _figures(instruments, components)
        problems, after = services.release_try(changes, request.user, lambda: _figures(instruments, components))
        figures = [
            (name, old, new[1] if new is not None else None)
            for (name, old), new in zip(before, after or [None] * len(before), strict=True)
        ]
        return TemplateResponse(
            request,
            "admin/tranches/release/review.html",
            self._context(
                request,
                title="Review and publish",
                reviewed=[(c, services.Change.of(c.record).token, _admin_url(c.record)) for c in reviewed],
                tokens=[c.token for c in changes],
                stale=bool(stale),
                figures=figures,
                problems=problems,
                errors=errors,
                note=note,
                next_number=services.release_latest_number() + 1,
            ),
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        pending = sum(model._default_manager.filter(status="draft").count() for model in PUBLISHABLE_MODELS)
        return super().changelist_view(request, {**(extra_context or {}), "pending_count": pending})


def _admin_url(record: Publishable) -> str:
    return reverse(f"admin:tranches_{record._meta.model_name}_change", args=[record.pk])


# The records a pending change of these kinds usually goes out with (besides citations and their
# sources): a tranche with its payments, its milestones and the conditions that gate it.
TOGETHER_CHILDREN: dict[type[Publishable], tuple[type[Publishable], ...]] = {
    Tranche: (Disbursement, Milestone, Condition),
}
TOGETHER_TRANCHE = "Review with its payments and citations"
TOGETHER_RECORD = "Review with its citations"
# The kinds whose row on the pending page offers "review together".
GROUPED: tuple[type[Publishable], ...] = (Tranche, Milestone, Condition, Estimate, OpenQuestion)
# (reference of a citation, the kind it names): ``instrument``, …, ``open_question``.
CITATION_TARGETS: tuple[tuple[str, type[Publishable]], ...] = tuple(
    (name, cast(type[Publishable], Citation._meta.get_field(name).related_model)) for name in Citation.TARGETS
)

Key = tuple[type[Publishable], int]


def _key(record: Publishable) -> Key:
    return type(record), record.pk


class _Groups:
    """The pending changes indexed once, so that each row's group is found without scanning the
    whole list again (a database loaded with ``--drafts`` has hundreds of pending changes)."""

    def __init__(self, pending: list[selectors.PendingChange]) -> None:
        self.order = {_key(change.record): index for index, change in enumerate(pending)}
        self.records = {_key(change.record): change.record for change in pending}
        self.children: dict[Key, list[Key]] = {}
        self.citations: dict[Key, list[Key]] = {}
        for change in pending:
            record: Any = change.record
            if isinstance(record, Citation):
                for name, model in CITATION_TARGETS:
                    if (pk := getattr(record, f"{name}_id")) is not None:
                        self.citations.setdefault((model, pk), []).append(_key(record))
                continue
            for parent, kinds in TOGETHER_CHILDREN.items():
                parent_id = getattr(record, f"{parent._meta.model_name}_id", None)
                if isinstance(record, kinds) and parent_id is not None:
                    self.children.setdefault((parent, parent_id), []).append(_key(record))

    def of(self, record: Publishable) -> list[Publishable]:
        """``record``, its pending children, their pending citations and those citations' pending
        sources, in the order of the pending list (parents first)."""
        members = [_key(record), *self.children.get(_key(record), [])]
        citations = [cited for member in members for cited in self.citations.get(member, [])]
        sources = [
            (Source, source_id)
            for key in citations
            if (source_id := cast(Citation, self.records[key]).source_id) is not None
            and (Source, source_id) in self.records
        ]
        chosen = set(members) | set(citations) | set(sources)
        return [self.records[key] for key in sorted(chosen, key=self.order.__getitem__)]


def _together_url(change: selectors.PendingChange, groups: _Groups) -> str:
    """For a pending tranche, milestone, condition, estimate or open question: the review of it with
    what usually goes out together (a tranche's pending payments, milestones and conditions; the
    pending citations of all of these and those citations' pending sources). Empty for other records."""
    if not isinstance(change.record, GROUPED):
        return ""
    query = "&".join(f"change={services.Change.of(record).token}" for record in groups.of(change.record))
    return f"{reverse('admin:tranches_release_review')}?{query}"
