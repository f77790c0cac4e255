"""Signals the domain app sends; other apps (reports) listen, so tranches never imports them."""

from django.dispatch import Signal

# Sent after the transaction that changed loan data commits; sender is the model class.
# Receivers refresh derived figures (reports.receivers).
data_changed = Signal()
