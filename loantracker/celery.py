"""The Celery application, configured from Django settings under the ``CELERY_`` namespace
(Celery's "First steps with Django"). Start a worker with ``celery -A loantracker worker`` and the
scheduler with ``celery -A loantracker beat``; the Procfile runs both beside the web server."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loantracker.settings.local")

app = Celery("loantracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
