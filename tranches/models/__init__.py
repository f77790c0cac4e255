"""The loan domain: the records editors change as drafts (``records``: instruments, components,
tranches, disbursements, sources, citations; ``milestones``, ``conditions``, ``estimates``,
``questions``: the record around the money) and the releases that publish them, with the published
state the public reads (``releases``)."""

from .conditions import OUTCOME_WHERE, Condition, ConditionOutcome, condition_outcome  # noqa: F401
from .estimates import Estimate, EstimateKind, Qualifier  # noqa: F401
from .milestones import Milestone, MilestoneKind  # noqa: F401
from .questions import OpenQuestion
from .records import *  # noqa: F403
from .records import Citation, Component, Disbursement, Instrument, Publishable, PublishableQuerySet, Source, Tranche  # noqa: F401
from .releases import (  # noqa: F401
    PUBLISHED_MODEL,
    RELEASE_NOTE_EMPTY,
    PublishedCitation,
    PublishedComponent,
    PublishedCondition,
    PublishedDisbursement,
    PublishedEstimate,
    PublishedInstrument,
    PublishedMilestone,
    PublishedOpenQuestion,
    PublishedRow,
    PublishedSource,
    PublishedTranche,
    Purpose,
    Release,
)

# Every kind of record, parents before the records that refer to them (the order rows are locked
# and written in); citations last, as they may back any of the others.
PUBLISHABLE_MODELS: tuple[type[Publishable], ...] = (
    Instrument, Component, Tranche, Disbursement, Source, Milestone, Condition, Estimate, OpenQuestion, Citation,
)  # fmt: skip
