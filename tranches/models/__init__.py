"""The loan domain: the records editors change as drafts (``records``) and the releases that
publish them, with the published state the public reads (``releases``)."""

from .records import *  # noqa: F403
from .records import PUBLISHABLE_MODELS, Publishable, PublishableQuerySet  # noqa: F401
from .releases import (  # noqa: F401
    PUBLISHED_MODEL,
    RELEASE_NOTE_EMPTY,
    PublishedCitation,
    PublishedComponent,
    PublishedDisbursement,
    PublishedInstrument,
    PublishedRow,
    PublishedSource,
    PublishedTranche,
    Purpose,
    Release,
)
