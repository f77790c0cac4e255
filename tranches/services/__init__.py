"""The only writers of loan data: drafts (``records``) and releases (``releases``), with the checks
a release must pass (``checks``). The admin, the dataset loader and every job call these."""

from .checks import release_problems  # noqa: F401
from .records import *  # noqa: F403
from .records import User, lock_parents, lock_rows  # noqa: F401
from .releases import (  # noqa: F401
    CHANGED_SINCE_REVIEW,
    DELETED_SINCE_REVIEW,
    NOT_PENDING,
    RELEASE_EMPTY,
    RELEASE_NOT_ALLOWED,
    Change,
    can_release,
    release_latest_number,
    release_publish,
    release_try,
)
