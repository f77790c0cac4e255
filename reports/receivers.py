"""Listens to tranches.signals.data_changed (sent after a write commits) and asks for a figures
refresh. A save never fails because of this: a broker error is logged and recorded as a failed
``refresh_enqueue`` JobRun; beat's scheduled refresh catches up once the broker is back."""

from __future__ import annotations

import logging
from typing import Any

from . import services
from .tasks import figures_refresh_request

logger = logging.getLogger(__name__)


def data_changed_refresh(sender: Any, **kwargs: Any) -> None:
    """Receiver of data_changed: queue (or, without a broker, run) a coalesced refresh."""
    try:
        figures_refresh_request()
    except Exception as exc:  # a save must never fail because the figures could not be queued
        logger.exception("figures refresh not queued after a change to %s", getattr(sender, "__name__", sender))
        try:
            services.job_failure_record(
                job=services.JOB_ENQUEUE,
                error=f"{type(exc).__name__}: {exc}",
                detail={"sender": getattr(sender, "__name__", str(sender))},
            )
        except Exception:
            logger.exception("could not record the failure either")
