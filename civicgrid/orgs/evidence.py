"""Evidence files for checklist tasks and coverage links: photos (validated, re-encoded without EXIF
by `lib.images`) and PDFs (checked by their content, not their name), each within a size limit."""

from __future__ import annotations

import hashlib
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from civicgrid.core.errors import ApplicationError
from civicgrid.lib.images import ImageError, clean_image
from civicgrid.orgs.models import CoverageLink, Evidence, Task

MAX_FILES = 9


def max_bytes() -> int:
    return int(getattr(settings, "ORGS_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


def _read(upload: IO[bytes], limit: int) -> bytes:
    raw = upload.read(limit + 1)
    return raw if isinstance(raw, bytes) else bytes(raw)


def attach(*, files, actor, task: Task | None = None, link: CoverageLink | None = None) -> list[Evidence]:
    """Validate and store `files` (uploaded files with `.name` and `.read`) for a task or a link.

    Call it inside the transaction of the write it backs: a refused file refuses the whole write.
    Raises ApplicationError (code "evidence") naming the file; nothing is stored then.
    """
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ApplicationError(_("Attach at most %(n)s files.") % {"n": MAX_FILES}, code="evidence")
    limit = max_bytes()
    stored: list[Evidence] = []
    for upload in files:
        name = (getattr(upload, "name", "") or "file")[-150:]
        raw = _read(upload, limit)
        if not raw:
            raise ApplicationError(_("“%(name)s” is empty.") % {"name": name}, code="evidence")
        if len(raw) > limit:
            raise ApplicationError(
                _("“%(name)s” is larger than %(mb)s MB.") % {"name": name, "mb": limit // (1024 * 1024)},
                code="evidence",
            )
        if raw.startswith(b"%PDF-"):
            content, content_type, extension = raw, "application/pdf", ".pdf"
        else:
            try:
                image = clean_image(raw, filename=name, max_bytes=limit)
            except ImageError as err:
                raise ApplicationError(
                    _("“%(name)s” is neither a photo (JPEG, PNG, WebP) nor a PDF that can be read: %(why)s")
                    % {"name": name, "why": err.message},
                    code="evidence",
                ) from None
            content, content_type, extension = image.content, image.content_type, image.extension
        digest = hashlib.sha256(content).hexdigest()
        evidence = Evidence(
            task=task,
            link=link,
            name=name,
            content_type=content_type,
            extension=extension,
            size=len(content),
            sha256=digest,
            uploaded_by=actor,
        )
        evidence.file.save(f"{digest[:16]}{extension}", ContentFile(content), save=False)
        evidence.save()
        stored.append(evidence)
    return stored
