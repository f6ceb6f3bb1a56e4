"""The volunteers app's settings, read from Django settings with their defaults here.

`VOLUNTEER_MISSING_CHECKOUT`: how a volunteer who checked in but never out is credited when the
activity closes: "none" (0 minutes, the leader may add a correction) or "scheduled" (until the
activity's scheduled end). Either way the record is flagged for the leader to look at.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MISSING_CHECKOUT_RULES = ("none", "scheduled")


def missing_checkout_rule() -> str:
    rule = getattr(settings, "VOLUNTEER_MISSING_CHECKOUT", "scheduled")
    if rule not in MISSING_CHECKOUT_RULES:
        raise ImproperlyConfigured(
            f"VOLUNTEER_MISSING_CHECKOUT must be one of {', '.join(MISSING_CHECKOUT_RULES)}, not {rule!r}"
        )
    return rule


def qr_step_seconds() -> int:
    """How often the check-in code on the leader's phone changes (seconds)."""
    return int(getattr(settings, "VOLUNTEER_QR_STEP_SECONDS", 30))


def scan_confirm_seconds() -> int:
    """How long a volunteer has, after scanning a valid code, to confirm on their phone (seconds)."""
    return int(getattr(settings, "VOLUNTEER_SCAN_CONFIRM_SECONDS", 120))
