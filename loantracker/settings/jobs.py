"""Settings of the background jobs: Celery on Redis, the figures refresh and the ECB rates.
README "Configuration" and docs/JOBS.md list the variables."""

import environ

env = environ.Env()

# Celery: with REDIS_URL unset, tasks run in-process so the quickstart needs no broker.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_IGNORE_RESULT = True  # jobs record their outcome in reports.JobRun, not a result backend
# A task is acknowledged only when it has finished, so a worker that dies mid-task leaves the
# message to be delivered again; every task is idempotent, so running twice is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Seconds. The soft limit raises SoftTimeLimitExceeded in the task (the transaction rolls back);
# the hard limit kills the process.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
# Redis redelivers an unacknowledged message after this many seconds; longer than the hard limit
# (and any countdown), or a running task would be delivered to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A save must never wait long on a broker that is down (reports.receivers catches the error).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}

# The figures refresh: saves within FIGURES_REFRESH_DEBOUNCE seconds coalesce into one refresh;
# beat also runs it every FIGURES_REFRESH_EVERY seconds so that nothing missed stays missed.
FIGURES_REFRESH_DEBOUNCE = env.float("FIGURES_REFRESH_DEBOUNCE", default=2.0)
FIGURES_REFRESH_EVERY = env.float("FIGURES_REFRESH_EVERY", default=300.0)
# /healthz/ fails when the latest release's figures are still not built this many seconds after it
# was published (a refresh that keeps failing, or no worker taking jobs): three of beat's retries.
FIGURES_MAX_AGE = env.int("FIGURES_MAX_AGE", default=900)

# ECB euro foreign exchange reference rates (units of currency per 1 EUR).
ECB_RATES_HIST_URL = env.str(
    "ECB_RATES_HIST_URL", default="https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
)
ECB_RATES_DAILY_URL = env.str("ECB_RATES_DAILY_URL", default="https://www.ecb.europa.eu/stats/eurofxref/eurofxref.zip")
ECB_RATES_CURRENCIES: list[str] = env.list("ECB_RATES_CURRENCIES", default=["USD"])
ECB_RATES_TIMEOUT = env.float("ECB_RATES_TIMEOUT", default=20.0)  # seconds per download
ECB_RATES_EVERY = env.float("ECB_RATES_EVERY", default=6 * 3600.0)  # beat: seconds between fetches
ECB_RATES_MAX_RETRIES = env.int("ECB_RATES_MAX_RETRIES", default=5)

CELERY_BEAT_SCHEDULE = {
    "figures-refresh": {"task": "reports.tasks.figures_refresh_task", "schedule": FIGURES_REFRESH_EVERY},
    "rates-fetch": {
        "task": "reports.tasks.rates_fetch_task",
        "schedule": ECB_RATES_EVERY,
        "kwargs": {"which": "auto"},  # the daily file, or the whole history when rates are missing
    },
}
