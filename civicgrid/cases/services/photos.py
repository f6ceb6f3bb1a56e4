"""Photos of cases: validated and stripped before any transaction, saved with the event they belong to."""

from __future__ import annotations

import logging
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

# ---------------------------------------------------------------------------------------------
# Photos


def photos_check_count(count: int) -> None:
    """Refuse more photos than one report or action may carry (CASE_PHOTO_MAX_COUNT).

    Called by `photos_clean`, and by the API before it decodes base64 photos it would refuse anyway.
    """
    if count > settings.CASE_PHOTO_MAX_COUNT:
        raise ApplicationError(
            _("At most %(n)d photos can be attached.") % {"n": settings.CASE_PHOTO_MAX_COUNT},
            code="too_many_photos",
            extra={"field": "photos"},
        )


def photos_clean(files: Sequence[BinaryIO | bytes]) -> list[CleanImage]:
    """Validate and strip every uploaded photo, before any transaction starts (it is CPU work)."""
    photos_check_count(len(files))
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
