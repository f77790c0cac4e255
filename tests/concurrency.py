"""Running writers at the same instant, each on its own database connection (PostgreSQL tests)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection


def run_concurrently(write: Callable[[int], object], count: int, *, timeout: float = 60) -> Counter:
    """Start ``count`` threads (one database connection each) that call ``write(index)`` at the same
    moment. Returns how many were 'saved' and 'refused' (ValidationError); any other exception
    (a deadlock, say) is counted by its class name, so a test sees it."""
    barrier = threading.Barrier(count)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait()
            write(index)
            outcome = "saved"
        except ValidationError:
            outcome = "refused"
        except Exception as exc:
            outcome = type(exc).__name__
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a writer is still waiting: a lock never released"
    return outcomes
