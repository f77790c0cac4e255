"""The admin: data entry of drafts (``records``: the money and its sources; ``context``: milestones,
conditions, estimates, open questions) and their review and publication as releases (``releases``)."""

from . import context, records, releases  # noqa: F401  (each registers its model admins)
