"""What a person's daily digest says: the cases they were told of for information since their last
digest, and their to-dos that fall due within a day.

Read by `services.digest.notice_digest_send`, which stores the counts as a digest notification and
mails the whole of it (`email_text`). The cases are grouped and worded as on the notifications page
(`notices.groups`): title, place, step, deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from civicgrid.cases import notices
from civicgrid.cases.models import TODO_KINDS, Notification
from civicgrid.cases.selectors import DEADLINE_STATES

# The most notices a digest reads of each part (a person told of more in a day reads the rest on the
# notifications page; the counts stay exact).
DIGEST_ROWS = 500
# The to-do notices a digest looks back over for deadlines, and how far ahead it looks.
TODO_LOOKBACK = timedelta(days=30)
DUE_WITHIN = timedelta(days=1)


@dataclass(frozen=True)
class Digest:
    """One person's digest: the cases with news (newest first) and the to-dos due (soonest first)."""

    since: datetime
    until: datetime
    news: list[notices.NoticeGroup]
    # How many cases had news: exact, though `news` holds at most DIGEST_ROWS notices.
    news_cases: int
    due: list[notices.NoticeGroup]

    @property
    def empty(self) -> bool:
        return not self.news_cases and not self.due

    @property
    def params(self) -> dict[str, Any]:
        """The digest notification's values (`notices.DIGEST`)."""
        return {"cases": self.news_cases, "due": len(self.due)}


def digest_for(*, user, since: datetime, now: datetime) -> Digest:
    """Return what `user`'s digest says of the notices that only inform written in [since, now), and of
    their to-dos (`notices.is_todo`) whose step deadline is before now + DUE_WITHIN (three queries)."""
    info = Notification.objects.filter(user=user, created_at__gte=since, created_at__lt=now).exclude(
        kind__in=[*TODO_KINDS, Notification.Kind.DIGEST]
    )
    news_cases = info.order_by().values("case_id").distinct().count()
    news_rows = list(info.select_related(*notices.RELATED).order_by("-created_at", "-id")[:DIGEST_ROWS])
    todo_rows = list(
        Notification.objects.filter(
            user=user,
            kind__in=TODO_KINDS,
            created_at__gte=now - TODO_LOOKBACK,
            case__state__in=DEADLINE_STATES,
            case__step_due_at__lt=now + DUE_WITHIN,
        )
        .select_related(*notices.RELATED)
        .order_by("-created_at", "-id")[:DIGEST_ROWS]
    )
    due = [g for g in notices.groups(todo_rows, now=now, reader_id=user.pk) if g.todo and g.due_at]
    due.sort(key=lambda g: g.due_at)
    return Digest(
        since=since,
        until=now,
        news=notices.groups(news_rows, now=now, reader_id=user.pk),
        news_cases=news_cases,
        due=due,
    )


def notifications_url() -> str:
    """Return the notifications page's address as a link in an email (SITE_ROOT before the path)."""
    return settings.SITE_ROOT.rstrip("/") + reverse("cases:notifications")


def email_text(digest: Digest, *, language: str) -> tuple[str, str]:
    """Return the digest email's subject and plain-text body, in `language`."""
    with translation.override(language):
        subject = notices.render(notices.DIGEST, digest.params)
        body = render_to_string(
            "cases/email/digest.txt",
            {"digest": digest, "summary": subject, "url": notifications_url()},
        )
    return subject, body
