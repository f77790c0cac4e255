"""Settings of the admin login throttle (django-axes). README "Configuration" and docs/SECURITY.md
describe them.

After ``LOGIN_FAILURE_LIMIT`` failed logins for one account (from any address), or from one address
(for any account), further logins are refused with 429 — even with the right password — until
``LOGIN_COOLOFF`` seconds have passed since the last failure, or a superuser unlocks them (admin →
Axes → Access attempts: delete the rows; or ``manage.py axes_reset_username NAME`` /
``axes_reset_ip ADDRESS``)."""

import datetime

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
if LOGIN_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured(
        f"LOGIN_FAILURE_LIMIT must be 1 or more (failed logins before a lockout); got {LOGIN_FAILURE_LIMIT}."
    )
# Seconds a lockout lasts after the last failed attempt; 0 keeps it until a superuser unlocks it.
LOGIN_COOLOFF = env.int("LOGIN_COOLOFF", default=900)
if LOGIN_COOLOFF < 0:
    raise ImproperlyConfigured(f"LOGIN_COOLOFF must be 0 (until unlocked) or more seconds; got {LOGIN_COOLOFF}.")

AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = datetime.timedelta(seconds=LOGIN_COOLOFF) if LOGIN_COOLOFF else None
# Two separate counts, either of which locks: per account (a slow guess at one editor's password
# from many addresses) and per address (one address trying a common password on every account).
# Not the pair alone ([["username", "ip_address"]]): that lets every new address start again at zero.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A successful login does not wipe the count: with per-address counting it would let anyone with an
# account of their own reset their address's count between guesses at other accounts.
AXES_RESET_ON_SUCCESS = False
# The client's address as the API throttle sees it (API_NUM_PROXIES): never a header the client wrote.
AXES_CLIENT_IP_CALLABLE = "loantracker.logins.client_ip"
# The admin's own page with what happened, for how long, and who can unlock (429, Retry-After).
AXES_LOCKOUT_CALLABLE = "loantracker.logins.locked_out"
# Failed attempts keep the submitted form data for the admin; never the password (axes always masks
# it) or the CSRF token. Usernames and addresses stay readable in the log, for the operator.
AXES_SENSITIVE_PARAMETERS = ["csrfmiddlewaretoken"]
# Counts live in the database, so every web process and machine counts together.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# No banner at every start of manage.py, celery and gunicorn; failures are still logged (WARNING).
AXES_VERBOSE = False
