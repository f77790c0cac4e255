"""Settings of the HTTP benchmark (``python -m bench.run``, ``make bench``): the production settings
as they are, plus the bench-only URLs (bench/urls.py: the floor and a plain DRF ModelSerializer list),
defaults that let production settings run on loopback without secrets, and no API throttle (wrk
would be throttled after 120 requests). Never used to serve anyone."""

import os

# Production refuses to start without these; the benchmark runs on loopback only.
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-" + "x7Qz" * 10)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/13")

from loantracker.settings.production import *  # noqa: F403
from loantracker.settings.production import env

ROOT_URLCONF = "bench.urls"
DEBUG = False
SECURE_SSL_REDIRECT = False
API_THROTTLE_ANON = None
# collectstatic of the benchmark goes to a directory of its own, never the project's staticfiles/.
STATIC_ROOT = env.str("BENCH_STATIC_ROOT", default=str(STATIC_ROOT))  # noqa: F405
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
