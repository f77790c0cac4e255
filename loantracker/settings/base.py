"""Settings shared by every environment. Every value that differs between machines comes from
the environment (django-environ); README "Configuration" lists each variable."""

from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file beside manage.py is optional; real environment variables win over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "tranches",
    "reports",
    "public",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses HTML, JSON and CSV answers for clients that accept gzip (adds Vary: Accept-Encoding
    # and makes ETags weak; Django masks its CSRF token against BREACH). Static files never reach
    # it: whitenoise serves them precompressed (gzip, and Brotli with the Brotli package).
    "django.middleware.gzip.GZipMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the URL's prefix (/uk/…), English where there is none (Django's
    # LocaleMiddleware, without a Vary: Accept-Language that nothing varies by).
    "loantracker.middleware.LanguageFromPathMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Records request.user as the author of every history row written during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns a login refused by django-axes into the lockout page (last, as axes' docs require).
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out login before the password is even checked
# (loantracker/settings/logins.py); then Django's own check of the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "loantracker.urls"
WSGI_APPLICATION = "loantracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "loantracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite file by default so that the quickstart needs no server; DATABASE_URL switches to PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A persistent connection (CONN_MAX_AGE in DATABASE_URL) the database dropped is replaced, not used.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache for every process: the public answers (public/answers.py, keyed by release) and the API
# throttle's counts. In-process memory by default; CACHE_URL=redis://… shares it across gunicorn
# workers. Redis goes through django-redis, which fails open: an unreachable or hung Redis costs at
# most CACHE_SOCKET_CONNECT_TIMEOUT / CACHE_SOCKET_TIMEOUT seconds per call and a logged warning,
# and the request is answered without the cache (and unthrottled).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] in ("django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"):
    CACHES["default"]["BACKEND"] = "django_redis.cache.RedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {
            "SOCKET_CONNECT_TIMEOUT": env.float("CACHE_SOCKET_CONNECT_TIMEOUT", default=0.25),
            "SOCKET_TIMEOUT": env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
        }
    )
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "public.answers"
# How long a public answer is kept (seconds). Its key changes with each release, so this only
# bounds the memory old answers take; it never decides what is current.
ANSWERS_CACHE_SECONDS = env.int("ANSWERS_CACHE_SECONDS", default=24 * 3600)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The public pages in English (at /) and Ukrainian (at /uk/…): the language is in the URL
# (i18n_patterns without a prefix for the default language, loantracker/urls.py), so a link keeps
# it and one URL is always one language; numbers and dates follow Django's formats of each.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("uk", "Українська")]
# The project's own templates (404) have their catalogue here; each app has its own <app>/locale/.
LOCALE_PATHS = [BASE_DIR / "loantracker" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "loantracker" / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "public.staticfiles.PlotlyJsFinder",  # the vendored partial plotly.js bundle (public/vendor-src/), no CDN
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The versioned initial dataset that `manage.py load_dataset` reads by default.
DATASET_PATH = Path(env.str("DATASET_PATH", default=str(BASE_DIR / "data" / "initial_dataset.toml")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # The login throttle logs each failure and lockout as a warning; its INFO lines are bookkeeping.
    "loggers": {"axes": {"level": "WARNING"}},
}

# A strict Content-Security-Policy: everything from this origin, no inline scripts, no framing
# (embed pages relax frame-ancestors for themselves). Plotly draws with inline styles and data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# History is read-only in the admin: reverting would bypass the services and their checks.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Background jobs (Celery, Redis, exchange rates), the public API and the login throttle have
# settings files of their own.
from .api import *  # noqa: E402, F403
from .jobs import *  # noqa: E402, F403
from .logins import *  # noqa: E402, F403
