"""Photos of cases: validated and stripped before any transaction, saved with the event they belong to."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from civicgrid.cases.models import (
    Case,
    CaseEvent,
    CasePhoto,
)
from civicgrid.core.errors import ApplicationError
from civicgrid.lib.images import CleanImage, ImageError, clean_image

logger = logging.getLogger(__name__)
PHONE_RE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")
State = Case.State
# Django computes `Choices.values` on every access; intake checks these on every report.
SOURCES = frozenset(Case.Source.values)
PRIORITIES = frozenset(Case.Priority.values)

# ---------------------------------------------------------------------------------------------
# Photos


def photos_clean(files: Sequence[BinaryIO | bytes]) -> list[CleanImage]:
    """Validate and strip every uploaded photo, before any transaction starts (it is CPU work)."""
    if len(files) > settings.CASE_PHOTO_MAX_COUNT:
        raise ApplicationError(
            _("At most %(n)d photos can be attached.") % {"n": settings.CASE_PHOTO_MAX_COUNT},
            code="too_many_photos",
            extra={"field": "photos"},
        )
    cleaned = []
    for number, item in enumerate(files, start=1):
        name = getattr(item, "name", "") or ""
        try:
            cleaned.append(clean_image(item, filename=name))
        except ImageError as exc:
            raise ApplicationError(
                _("Photo %(n)d: %(reason)s") % {"n": number, "reason": exc},
                code=f"photo_{exc.code}",
                extra={**exc.extra, "field": "photos", "photo": number},
            )
    return cleaned


def _photos_save(case: Case, event: CaseEvent, photos: Iterable[CleanImage], kind: str) -> None:
    for number, photo in enumerate(photos, start=1):
        stem = f"{event.pk}-{number}-{photo.sha256[:12]}"
        record = CasePhoto(
            case=case,
            event=event,
            kind=kind,
            content_type=photo.content_type,
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
        )
        record.image.save(f"{stem}.{photo.extension.lstrip('.')}", ContentFile(photo.content), save=False)
        record.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(photo.thumbnail), save=False)
        record.save()
