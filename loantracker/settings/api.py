"""Settings of the public REST API (DRF, drf-spectacular, CORS, throttling, HTTP caching).
docs/API.md and README "Configuration" list the variables."""

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

# Page-number pagination: page size by default, and the most a client may ask for with ?page_size=.
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=500)
# Anonymous requests per client IP, DRF rate syntax ("120/min", "5/second"); empty disables it.
API_THROTTLE_ANON = env.str("API_THROTTLE_ANON", default="120/min") or None
# Reverse proxies in front of the application that append the client's address to X-Forwarded-For.
# 0 (the default) trusts no X-Forwarded-For: the throttle counts per REMOTE_ADDR, so a client cannot
# dodge it by sending a header of its own. Behind one proxy (nginx, a load balancer) set 1: the last
# address in X-Forwarded-For, the one that proxy added, is the client. Never more than the proxies
# really there, or clients choose their own identity again.
API_NUM_PROXIES = env.int("API_NUM_PROXIES", default=0)
if API_NUM_PROXIES < 0:
    raise ImproperlyConfigured(f"API_NUM_PROXIES must be 0 or more (the proxies in front); got {API_NUM_PROXIES}.")
# Seconds a client or shared cache may reuse an API response before revalidating (ETag/Last-Modified).
API_CACHE_MAX_AGE = env.int("API_CACHE_MAX_AGE", default=60)
# A snapshot permalink never changes: it may be cached this long (seconds).
API_SNAPSHOT_MAX_AGE = env.int("API_SNAPSHOT_MAX_AGE", default=86400)
# The public address of the site, without a trailing slash: the Atom feed's ids and links are built
# on it, never on the Host header of a request (a feed's ids must not change with the name it was
# fetched by). Set it to the address readers use, e.g. https://loans.example.org.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must be an http:// or https:// address; got {SITE_URL!r}.")
# Who publishes the tracker (the newsroom or team): the author of the feed and of each entry. A
# reviewer is never named.
SITE_NAME = env.str("SITE_NAME", default="EU Ukraine-loan tracker")
FEED_AUTHOR_NAME = env.str("FEED_AUTHOR_NAME", default=SITE_NAME)
# The tracker's IATI organisation identifier, prefix of every iati-identifier in /downloads/…/iati.xml
# (docs/DOWNLOADS.md). "XX" is no registration agency: the default claims no identifier.
IATI_REPORTING_ORG_REF = env.str("IATI_REPORTING_ORG_REF", default="XX-LOANTRACKER")
# Entries in the Atom feed of changes: one per release, the newest first.
FEED_CHANGES_ITEMS = env.int("FEED_CHANGES_ITEMS", default=50)
# Changes listed in each entry of the feed; a larger release links to the rest.
FEED_ENTRY_CHANGES = env.int("FEED_ENTRY_CHANGES", default=50)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "public.api.renderers.CSVRenderer",
        "public.api.renderers.XLSXRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Read-only and anonymous: no session, so no CSRF and no editor identity in the API.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["public.api.throttling.AnonBurstThrottle"],
    "NUM_PROXIES": API_NUM_PROXIES,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "public.api.filters.StrictSearchFilter",
        "public.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "public.api.pagination.PageNumberPagination",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "public.api.negotiation.ContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "public.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "public.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "URL_FORMAT_OVERRIDE": "format",
    "ORDERING_PARAM": "ordering",
    "SEARCH_PARAM": "search",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "EU Ukraine-loan tracker API",
    "DESCRIPTION": (
        "Read-only figures of the EU's loans to Ukraine: instruments, components, tranches, disbursements, "
        "their sources and citations, summary figures, time series and a change log. Amounts are EUR, as "
        "decimal strings in JSON. Every resource takes `as_of=YYYY-MM-DD` (the data as published at the end "
        "of that day, UTC) and `format=json|csv|xlsx`. Errors share one format: "
        '`{"error": {"status", "code", "message", "parameters"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI's configuration, as JavaScript (drf-spectacular passes a string through unchanged and
    # serves it from this origin, /api/docs/?script, so the strict Content-Security-Policy holds). It
    # replaces drf-spectacular's default, {"deepLinking": True}, for a page without axe-core violations
    # (issue 14; loantracker/static/api-docs.css does the colours):
    # - deepLinking off: with it each operation's <button> holds an <a href="#/tag/operation">, a link
    #   in a button that a keyboard or a screen reader cannot reach (nested-interactive).
    # - syntaxHighlight "obsidian": agate, the default, draws numbers #d36363 on #333333 (3.45:1);
    #   obsidian, arta, tomorrow-night and idea pass at 4.5:1, monokai and nord do not.
    # - plugins: loantracker/static/api-docs.js (loaded by the template before this script), where
    #   Swagger UI's markup lacks a landmark, a heading level, labels and a button's name. This list
    #   replaces drf-spectacular's, empty without authentication (the API has none).
    "SWAGGER_UI_SETTINGS": """{
  deepLinking: false,
  syntaxHighlight: { activated: true, theme: "obsidian" },
  plugins: [window.ApiDocsAccessible],
}""",
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "tranches.models.Stage",
        "GradeEnum": "tranches.models.Grade",
        "ChangeKindEnum": ["added", "changed"],
    },
}

# CORS: anyone may read the API and the feed from a browser; nothing else is exposed.
CORS_URLS_REGEX = r"^/(api|feeds)/.*$"
CORS_ALLOW_ALL_ORIGINS = env.bool("API_CORS_ALLOW_ALL_ORIGINS", default=True)
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After", "Content-Disposition"]
