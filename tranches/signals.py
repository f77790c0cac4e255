"""Signals the domain app sends; other apps (reports) listen, so tranches never imports them."""

from django.dispatch import Signal

# Sent after the transaction of a release commits, with ``number`` (the release's). Saving a draft
# sends nothing: only releases change what is public. Receivers build the release's figures
# (reports.receivers).
release_published = Signal()
