"""Settings for the test suite (pytest uses these; see pyproject.toml)."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-not-secret"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# One test database per pytest process, so that runs side by side (developers, CI, helpers) on one
# PostgreSQL server never drop each other's database. Subprocesses of a test (a Celery worker) must
# read the name from django.db.connection.settings_dict, not guess it.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}  # noqa: F405

# Serve static files from the apps' folders; no collectstatic needed before the tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
