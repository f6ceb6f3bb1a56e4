"""The daily digest: a person's choice between each notice as it comes and one digest a day, and the
hourly run that sends the digests (`manage.py notices_digest`).

With the digest on, the notices that only inform stop counting on the header's bell
(`selectors.unread_count`) and are summed up once a day in one notification (`Notification.Kind.DIGEST`,
about no single case) and, where the person has an email address and EMAIL_HOST is set, an email
listing them per case. To-do notices still come at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.cases import digests, notices
from civicgrid.cases.models import NoticePreference, Notification
from civicgrid.core.errors import invalid

log = logging.getLogger(__name__)

# A first digest covers the day before; after a gap (the command stopped, the digest turned off a
# while) no more than a week.
FIRST_WINDOW = timedelta(days=1)
LONGEST_WINDOW = timedelta(days=7)
# People read per batch by the hourly run.
BATCH = 500


def notice_preference_set(
    *, user: User, digest: bool, digest_hour: int, language: str = ""
) -> NoticePreference:
    """Store how `user` wants to be told: each notice as it comes, or a daily digest at `digest_hour`
    (0–23, local time); `language` (one of LANGUAGES) is the digest email's. Only the user's own."""
    if not isinstance(digest_hour, int) or not 0 <= digest_hour <= 23:
        raise invalid({"digest_hour": _("Choose an hour of the day, from 00:00 to 23:00.")})
    codes = {code for code, _name in settings.LANGUAGES}
    preference, _created = NoticePreference.objects.update_or_create(
        user=user,
        defaults={
            "digest": bool(digest),
            "digest_hour": digest_hour,
            "language": language if language in codes else "",
        },
    )
    return preference


def _unclaimed(today: date) -> Q:
    return Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=today)


@dataclass(frozen=True)
class DigestSent:
    """What one person's digest run did: the notification written (nothing to say: none), the email."""

    notified: bool
    emailed: bool


def notice_digest_send(*, preference: NoticePreference, now: datetime, today: date) -> DigestSent | None:
    """Send one person's digest for `today`, once; None when it was sent already.

    1. Claim the day: set `last_digest_on` only if it is not `today` yet (compare-and-set), so two runs
       at once, or a second run in the day, send nothing more.
    2. Read what it says (`digests.digest_for`) since the last digest; with nothing to say, stop there.
    3. Write the digest notification in the same transaction; mail it after commit.
    """
    user = preference.user
    since = max(preference.last_digest_at or now - FIRST_WINDOW, now - LONGEST_WINDOW)
    with transaction.atomic():
        claimed = (
            NoticePreference.objects.filter(pk=preference.pk, digest=True)
            .filter(_unclaimed(today))
            .update(last_digest_on=today, last_digest_at=now)
        )
        if not claimed:
            return None
        # Read in the reader's language: the email shows the places and notices as read there.
        language = preference.language or settings.LANGUAGE_CODE
        with translation.override(language):
            digest = digests.digest_for(user=user, since=since, now=now)
        if digest.empty:
            return DigestSent(notified=False, emailed=False)
        params = digest.params
        Notification.objects.create(
            user=user,
            case=None,
            kind=Notification.Kind.DIGEST,
            text=notices.stored_text(notices.DIGEST, params),
            message=notices.DIGEST,
            params=params,
        )
        emailed = bool(user.email and settings.EMAIL_HOST)
        if emailed:
            subject, body = digests.email_text(digest, language=language)
            transaction.on_commit(lambda: _mail(user, subject, body))
    return DigestSent(notified=True, emailed=emailed)


def _mail(user: User, subject: str, body: str) -> None:
    # The in-app digest is written whatever happens to the mail: a mail server that refuses or is
    # down costs the email only, and is logged (by user id: no address in the logs).
    try:
        send_mail(subject, body, None, [user.email])
    except OSError:  # smtplib.SMTPException is an OSError
        log.exception("The daily digest could not be mailed to user %s", user.pk)


@dataclass
class DigestRun:
    # People whose digest was due (each sent once), digests written (not to those with nothing to
    # read), emails handed to the mail server.
    people: int = 0
    notified: int = 0
    emailed: int = 0


def notices_digest(*, now: datetime | None = None) -> DigestRun:
    """Send the digest of every active person who chose it, whose digest hour (local time) has come
    today and who has not had today's digest yet (`notice_digest_send`, one transaction each)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    run = DigestRun()
    waiting = (
        NoticePreference.objects.filter(digest=True, digest_hour__lte=local.hour, user__is_active=True)
        .filter(_unclaimed(today))
        .select_related("user")
        .order_by("pk")
    )
    after = 0
    # Read in batches by id rather than through one open cursor: each send writes the rows being
    # read, which SQLite's cursors do not isolate.
    while batch := list(waiting.filter(pk__gt=after)[:BATCH]):
        for preference in batch:
            sent = notice_digest_send(preference=preference, now=now, today=today)
            if sent is None:
                continue
            run.people += 1
            run.notified += sent.notified
            run.emailed += sent.emailed
        after = batch[-1].pk
    return run
