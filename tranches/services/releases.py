"""Releases: the one way drafts become public.

``release_publish`` takes the changes a reviewer reviewed (each record at the version they saw) and
publishes them together as Release N, all or nothing, in one transaction:

1. releases are serialised (one commits at a time: a PostgreSQL advisory lock; SQLite holds one
   writer anyway), so N is the previous number plus one, in commit order, and two releases can
   never together break a rule that each keeps alone;
2. the drafts are locked (``lock_rows``, in ``LOCK_ORDER``) and refused if any changed since the
   review ("changed since you reviewed it");
3. each draft's content is written to the published state (its previous version there is closed);
4. every check runs on the whole published state as it now stands (``checks.release_problems``);
   any problem refuses the release, and nothing of it stays;
5. the drafts are marked published (their version goes up, so an edit opened before the release is
   refused rather than writing back a stale status), with a history row naming the release;
6. after commit, ``release_published`` is sent: the figures of release N get built (reports).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import capfirst

from ..models import PUBLISHED_MODEL, RELEASE_NOTE_EMPTY, Publishable, Release, Status
from ..signals import release_published
from .checks import release_problems
from .records import LOCK_ORDER, User, lock_rows

RELEASE_NOT_ALLOWED = "Only reviewers may publish a release; {user} cannot."
RELEASE_EMPTY = "Choose at least one pending change to publish."
CHANGED_SINCE_REVIEW = (
    "{model} “{record}” changed since you reviewed it (you reviewed version {yours}, it is now at version "
    "{current}). Review the changes again."
)
DELETED_SINCE_REVIEW = "{model} {pk} was deleted since you reviewed it. Review the changes again."
NOT_PENDING = "{model} “{record}” has no pending change: it is published as it stands."
# Serialises releases on PostgreSQL (pg_advisory_xact_lock); any number no other lock uses.
RELEASE_LOCK_KEY = 0x4E1EA5E
MICROSECOND = datetime.timedelta(microseconds=1)


@dataclass(frozen=True, order=True)
class Change:
    """One pending change as a reviewer saw it: the record and the version they reviewed."""

    model_index: int  # position of the model in LOCK_ORDER (parents first)
    pk: int
    version: int

    @property
    def model(self) -> type[Publishable]:
        return LOCK_ORDER[self.model_index]

    @classmethod
    def of(cls, record: Publishable) -> Change:
        return cls(model_index=LOCK_ORDER.index(type(record)), pk=record.pk, version=record.version)

    @property
    def token(self) -> str:
        """How a review form carries it: ``tranche:12:3``."""
        return f"{self.model._meta.model_name}:{self.pk}:{self.version}"

    @classmethod
    def from_token(cls, token: str) -> Change:
        """Parse ``token``; raises ValueError for one this app did not make."""
        name, pk, version = token.split(":")
        index = [model._meta.model_name for model in LOCK_ORDER].index(name)
        return cls(model_index=index, pk=int(pk), version=int(version))


def can_release(user: User | None) -> bool:
    """``None`` is the system itself (the dataset loader seeding an empty database)."""
    return user is None or user.has_perm("tranches.publish_release")


def _serialise_releases() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RELEASE_LOCK_KEY])


def _content(record: Publishable, published: type[Any]) -> dict[str, Any]:
    """The values of ``record`` that its published version keeps (the fields both tables have)."""
    names = {field.attname for field in published._meta.concrete_fields} - {"row_id", "entered_id", "left_id"}
    return {name: getattr(record, name) for name in names}


def _locked_drafts(changes: Sequence[Change]) -> tuple[list[Publishable], list[str]]:
    """Lock the drafts of ``changes`` in LOCK_ORDER and load them; problems if any changed."""
    problems: list[str] = []
    drafts: list[Publishable] = []
    for index, model in enumerate(LOCK_ORDER):
        wanted = {change.pk: change for change in changes if change.model_index == index}
        if not wanted:
            continue
        versions = lock_rows(model, wanted)
        loaded = model._default_manager.order_by().in_bulk(list(versions))
        label = capfirst(model._meta.verbose_name)
        for pk, change in sorted(wanted.items()):
            record = loaded.get(pk)
            if record is None:
                problems.append(DELETED_SINCE_REVIEW.format(model=label, pk=pk))
            elif record.version != change.version:
                problems.append(
                    CHANGED_SINCE_REVIEW.format(
                        model=label, record=record, yours=change.version, current=record.version
                    )
                )
            elif record.status != Status.DRAFT:
                problems.append(NOT_PENDING.format(model=label, record=record))
            else:
                drafts.append(record)
    return drafts, problems


def release_publish(*, changes: Iterable[Change], user: User | None, note: str) -> Release:
    """Publish ``changes`` (each record at the version reviewed) together as the next release, with
    ``note`` (public: what changed and why). Returns the Release. Raises PermissionDenied unless
    ``user`` may publish releases (reviewers), and ValidationError naming every problem (a draft
    changed since the review, a rule of the published state broken); then nothing is written."""
    if not can_release(user):
        raise PermissionDenied(RELEASE_NOT_ALLOWED.format(user=user))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": RELEASE_NOTE_EMPTY}, code="note_empty")
    try:
        Release._meta.get_field("note").run_validators(note)
    except ValidationError as bad:
        raise ValidationError({"note": bad.messages}, code="note_invalid") from bad
    wanted = sorted(set(changes))
    if not wanted:
        raise ValidationError(RELEASE_EMPTY, code="empty")
    reviewer = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        _serialise_releases()
        drafts, problems = _locked_drafts(wanted)
        if problems:
            raise ValidationError(problems, code="changed_since_review")
        last = Release.objects.order_by("-number").values("number", "published_at").first()
        number = (last["number"] if last else 0) + 1
        # Release times grow with their numbers (``as_of`` picks "the latest release by then"),
        # even if this server's clock is behind the one that published the previous release.
        now = max(timezone.now(), last["published_at"] + MICROSECOND) if last else timezone.now()
        release = Release(number=number, published_at=now, note=note)
        release.published_by = reviewer  # type: ignore[assignment]
        release.save(force_insert=True)
        for record in drafts:
            published = PUBLISHED_MODEL[type(record)]
            published.objects.filter(id=record.pk, left__isnull=True).update(left=release)
            published.objects.create(entered=release, **_content(record, published))
        problems = release_problems(today=timezone.localdate())
        if problems:
            raise ValidationError(problems, code="release_refused")
        for record in drafts:
            record.status = Status.PUBLISHED
            record.version += 1
            record.published_at = now
            record.published_by = reviewer  # type: ignore[assignment]
            if reviewer is not None:
                record._history_user = reviewer  # type: ignore[attr-defined]
            record._change_reason = f"published in Release {number}"  # type: ignore[attr-defined]
            record.save()
        transaction.on_commit(lambda: release_published.send(sender=Release, number=number))
    return release


class _Preview(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


def release_try(changes: Iterable[Change], user: User | None, then: Any = None) -> tuple[list[str], Any]:
    """Run ``release_publish`` of ``changes`` and roll it back: the problems it would refuse with
    (empty if it would publish) and what ``then()`` returned inside it (e.g. the figures after).
    Writes nothing."""
    try:
        with transaction.atomic():
            release_publish(changes=changes, user=user, note="preview")
            raise _Preview(then() if then is not None else None)
    except _Preview as done:
        return [], done.value
    except ValidationError as refused:
        return refused.messages, None


def release_latest_number() -> int:
    """The number of the latest release, 0 before the first."""
    return Release.objects.aggregate(last=Max("number"))["last"] or 0
