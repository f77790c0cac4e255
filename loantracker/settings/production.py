"""Production: no defaults for secrets. Refuses to start (ImproperlyConfigured) without a strong
SECRET_KEY and with no or a wildcard ALLOWED_HOSTS; the messages say what to set."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

GENERATE_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'
# Django's own deployment check (security.W009) asks for the same: 50 characters, 5 different ones.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5
# Keys that are in this repository or that Django's startproject marks as insecure.
KNOWN_INSECURE_KEYS = ("local-development-only-not-secret", "test-only-not-secret")
INSECURE_PREFIX = "django-insecure"

KEY_MISSING = (
    "SECRET_KEY must be set in the environment for production: a random string of at least "
    f"{SECRET_KEY_MIN_LENGTH} characters, the same on every machine. Generate one with: {GENERATE_KEY}"
)
KEY_SHORT = (
    "SECRET_KEY is {length} characters long; production needs at least {minimum} random characters "
    "({unique} different ones or more). Generate one with: {command}"
)
KEY_INSECURE = (
    "SECRET_KEY is a known, published key ({why}); anyone could forge sessions and password-reset links "
    "with it. Set a new random one: {command}"
)
ALLOWED_HOSTS_MISSING = (
    "ALLOWED_HOSTS must be set in the environment for production: the public host name(s), comma-separated, "
    "e.g. ALLOWED_HOSTS=tracker.example.org"
)
ALLOWED_HOSTS_WILDCARD = (
    "ALLOWED_HOSTS contains {value!r}, which accepts any Host header (poisoned links in password-reset "
    "e-mails, cache poisoning). Name the public host name(s) instead, e.g. ALLOWED_HOSTS=tracker.example.org"
)


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` must not sign production sessions, or None if it may."""
    if not key:
        return KEY_MISSING
    if key in KNOWN_INSECURE_KEYS or key.startswith(INSECURE_PREFIX):
        why = "it starts with 'django-insecure'" if key.startswith(INSECURE_PREFIX) else "a default of this project"
        return KEY_INSECURE.format(why=why, command=GENERATE_KEY)
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE:
        return KEY_SHORT.format(
            length=len(key), minimum=SECRET_KEY_MIN_LENGTH, unique=SECRET_KEY_MIN_UNIQUE, command=GENERATE_KEY
        )
    return None


def allowed_hosts_problem(hosts: list[str]) -> str | None:
    """Why ``hosts`` must not be production's ALLOWED_HOSTS, or None if they may."""
    if not hosts:
        return ALLOWED_HOSTS_MISSING
    for host in hosts:
        if "*" in host:
            return ALLOWED_HOSTS_WILDCARD.format(value=host)
    return None


DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = [host.strip() for host in env.list("ALLOWED_HOSTS", default=[]) if host.strip()]
for problem in (secret_key_problem(SECRET_KEY), allowed_hosts_problem(ALLOWED_HOSTS)):
    if problem:
        raise ImproperlyConfigured(problem)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers probe the web machines over plain HTTP on the private network (docs/DEPLOY.md):
# a redirect would count as "down". The health answers carry no secret and set no cookie.
SECURE_REDIRECT_EXEMPT = [r"^healthz/"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
