"""The rotating check-in code of an activity, and the short-lived ticket a valid scan gives.

The leader's phone shows a QR code of `scan_url`, whose token is an HMAC (keyed with SECRET_KEY) of
the activity's id and the current time window (`VOLUNTEER_QR_STEP_SECONDS`, 30 s by default). A token
of the current or the previous window is accepted, so a code that changed while the camera focused
still works; a photo of the code sent to a friend stops working within two windows. A valid scan
gives the volunteer a signed ticket (activity, user) to confirm with, good for
`VOLUNTEER_SCAN_CONFIRM_SECONDS`, so the browser may take its time to find its position.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
from datetime import datetime

import segno
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from civicgrid.volunteers import conf

TOKEN_RE = re.compile(r"^([0-9]{1,12})-([0-9a-f]{20})$")
_TICKET_SALT = "civicgrid.volunteers.scan"


def window_of(now: datetime) -> int:
    return int(now.timestamp()) // conf.qr_step_seconds()


def _mac(activity_id: int, window: int) -> str:
    message = f"volunteers.checkin:{activity_id}:{window}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:20]


def token_for(activity_id: int, now: datetime | None = None) -> str:
    """Return the code's token for the window `now` falls in."""
    window = window_of(now or timezone.now())
    return f"{window}-{_mac(activity_id, window)}"


def token_valid(activity_id: int, token: str, now: datetime | None = None) -> bool:
    """Return whether `token` is this activity's, of the current or the previous window."""
    match = TOKEN_RE.match(token or "")
    if match is None:
        return False
    window = int(match.group(1))
    current = window_of(now or timezone.now())
    if window not in (current, current - 1):
        return False
    return hmac.compare_digest(match.group(2), _mac(activity_id, window))


def seconds_left(now: datetime | None = None) -> int:
    """Return the seconds until the code changes."""
    step = conf.qr_step_seconds()
    return step - int((now or timezone.now()).timestamp()) % step


def scan_path(activity_id: int, token: str) -> str:
    return reverse("volunteers:scan", args=[activity_id, token])


def qr_svg(url: str) -> str:
    """Return the QR code of `url` as SVG markup (no scripts, no inline styles)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode()


def ticket_for(activity_id: int, user_id: int) -> str:
    return signing.dumps({"a": activity_id, "u": user_id}, salt=_TICKET_SALT, compress=True)


def ticket_valid(ticket: str, activity_id: int, user_id: int) -> bool:
    try:
        data = signing.loads(ticket or "", salt=_TICKET_SALT, max_age=conf.scan_confirm_seconds())
    except signing.BadSignature:
        return False
    return data == {"a": activity_id, "u": user_id}
