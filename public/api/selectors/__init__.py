"""Reads of the public API. Every list of records is built on ``tranches.selectors.public_versions``:
the published state of each record in the latest release, or in the latest release published by
``as_of``, so drafts and unpublished edits never appear and a past date (or release) shows what was
public then; ``context`` reads the record around the money (milestones, conditions and their
ledger, estimates, open questions). Names of parents (instrument, component) come from their
published versions at the same ``as_of``, never from the draft tables; nothing here reads the draft
or history tables. Each function returns a lazy queryset or does a fixed number of queries,
whatever the number of rows."""

from .changes import (
    CHANGE_ENTITIES,
    CHANGE_FIELDS,
    Change,
    ChangeCursor,
    ChangePage,
    FieldChange,
    InvalidCursor,
    changes_of_releases,
    changes_page,
)
from .context import (
    OUTCOME_WHERE,
    condition_ledger,
    conditions_public,
    conditions_with_outcome,
    estimates_public,
    milestones_public,
    open_questions_public,
    with_context,
)
from .records import (
    citations_by_source,
    citations_public,
    components_public,
    count_and_last_published,
    disbursements_public,
    disbursements_with_parents,
    instruments_public,
    last_published,
    sources_public,
    tranches_public,
    tranches_with_parents,
    usd_rates_on,
)
from .releases import (
    RELEASE_KINDS,
    release_latest_head,
    releases_newest,
    releases_public,
    releases_with_counts,
)
from .snapshots import (
    INTERVALS,
    SnapshotHead,
    instrument_year_rows,
    snapshot_as_of,
    snapshot_figures_as_of,
    snapshots_public,
    summary_rows,
    timeseries_from_snapshot,
)

__all__ = [
    "CHANGE_ENTITIES",
    "CHANGE_FIELDS",
    "INTERVALS",
    "OUTCOME_WHERE",
    "RELEASE_KINDS",
    "Change",
    "ChangeCursor",
    "ChangePage",
    "FieldChange",
    "InvalidCursor",
    "SnapshotHead",
    "changes_of_releases",
    "changes_page",
    "citations_by_source",
    "citations_public",
    "components_public",
    "condition_ledger",
    "conditions_public",
    "conditions_with_outcome",
    "count_and_last_published",
    "disbursements_public",
    "disbursements_with_parents",
    "estimates_public",
    "instrument_year_rows",
    "instruments_public",
    "last_published",
    "milestones_public",
    "open_questions_public",
    "release_latest_head",
    "releases_newest",
    "releases_public",
    "releases_with_counts",
    "snapshot_as_of",
    "snapshot_figures_as_of",
    "snapshots_public",
    "sources_public",
    "summary_rows",
    "timeseries_from_snapshot",
    "tranches_public",
    "tranches_with_parents",
    "usd_rates_on",
    "with_context",
]
