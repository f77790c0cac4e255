"""The admin: data entry of drafts (``records``) and their review and publication as releases
(``releases``)."""

from . import records, releases  # noqa: F401  (each registers its model admins)
