"""Listens to tranches.signals.release_published (sent after a release commits) and asks for the
figures of the latest release; draft saves send nothing. A release never fails because of this: a
broker error is logged and recorded as a failed ``refresh_enqueue`` JobRun, and the next refresh
builds the latest release (beat's, once the broker is back; docs/JOBS.md "Retried without a person")."""

from __future__ import annotations

import logging
from typing import Any

from . import services
from .tasks import figures_refresh_request

logger = logging.getLogger(__name__)


def release_published_refresh(sender: Any, **kwargs: Any) -> None:
    """Receiver of release_published: queue (or, without a broker, run) a coalesced refresh."""
    try:
        figures_refresh_request()
    except Exception as exc:  # a release must never fail because its figures could not be queued
        logger.exception("figures refresh not queued after release %s", kwargs.get("number"))
        try:
            services.job_failure_record(
                job=services.JOB_ENQUEUE,
                error=f"{type(exc).__name__}: {exc}",
                detail={"release": kwargs.get("number")},
            )
        except Exception:
            logger.exception("could not record the failure either")
