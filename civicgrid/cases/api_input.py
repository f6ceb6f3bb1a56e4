"""Reading the cases API's requests: JSON or multipart/form-data bodies (photos as base64 or as files),
validated against the schemas, and the codes of an action body turned into objects.

Parsing only: what a value may be for a case is the services' rule (`services.case_create`,
`services.case_act`), never decided here.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

import pydantic
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja.errors import ValidationError

from civicgrid.accounts.models import Agency, User
from civicgrid.cases import services
from civicgrid.cases.schemas import (
    ActionIn,
    inline_schema,
)
from civicgrid.core.errors import ApplicationError
from civicgrid.places.models import Place


def invalid(fields: dict[str, str]) -> ApplicationError:
    return ApplicationError(_("Please correct the marked fields."), code="invalid", extra={"fields": fields})


def signed_in_user(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


# ---------------------------------------------------------------------------------------------
# Request bodies: JSON (photos in base64) or multipart/form-data (photos as files)


def request_body(model: type) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": inline_schema(model)},
                "multipart/form-data": {"schema": inline_schema(model, files=("photos",))},
            },
        }
    }


def base64_photos(items: Any) -> list[bytes]:
    if not isinstance(items, list):
        raise invalid({"photos": _("Send the photos as a list of base64 strings.")})
    # The service's count rule, asked before decoding photos it would refuse anyway.
    services.photos_check_count(len(items))
    # Refuse an oversized photo from its length, before decoding it.
    max_length = settings.CASE_PHOTO_MAX_BYTES * 4 // 3 + 8
    photos = []
    for number, item in enumerate(items, start=1):
        text = item if isinstance(item, str) else ""
        if text.startswith("data:") and "," in text:
            text = text.split(",", 1)[1]
        text = "".join(text.split())
        if len(text) > max_length:
            raise ApplicationError(
                _("Photo %(n)d: the file is larger than %(mb)s MB.")
                % {"n": number, "mb": f"{settings.CASE_PHOTO_MAX_BYTES / 1024 / 1024:g}"},
                code="photo_too_large",
                extra={"field": "photos", "photo": number},
            )
        try:
            photos.append(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            raise ApplicationError(
                _("Photo %(n)d is not valid base64.") % {"n": number},
                code="photo_base64",
                extra={"field": "photos", "photo": number},
            )
    return photos


def payload_of(
    request: HttpRequest, *, lists: tuple[str, ...] = (), objects: tuple[str, ...] = ()
) -> tuple[dict[str, Any], list]:
    """Return the fields and photos of a JSON or form body.

    In a form, `lists` fields may repeat or hold comma-separated values, `objects` fields may be a
    JSON object or dotted fields (`appointment.place`, `answers.CODE`; repeated: a list), and an
    empty field counts as not sent.
    """
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            form, files = request.POST, request.FILES
        except RequestDataTooBig:
            raise ApplicationError(_("The request is too large."), code="too_large", status=413)
        except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent):
            raise ApplicationError(
                _("The form could not be read. Send multipart/form-data with its boundary, or JSON."),
                code="invalid_form",
            )
        data: dict[str, Any] = {}
        for key in form:
            values = form.getlist(key)
            if key == "photos":
                continue
            if key in lists:
                data[key] = [part.strip() for value in values for part in value.split(",") if part.strip()]
            elif "." in key and key.split(".", 1)[0] in objects:
                head, tail = key.split(".", 1)
                # A repeated dotted field is a list (the choices of `answers.CODE`).
                given = [value for value in values if value != ""]
                if isinstance(data.get(head, {}), dict) and given:
                    data.setdefault(head, {})[tail] = given[0] if len(given) == 1 else given
            elif key in objects and values[-1].strip().startswith("{"):
                try:
                    data[key] = json.loads(values[-1])
                except ValueError:
                    raise invalid({key: _("Send a JSON object or dotted fields.")})
            elif values[-1] != "":
                data[key] = values[-1]
        return data, files.getlist("photos")
    try:
        body = request.body
    except RequestDataTooBig:
        raise ApplicationError(_("The request is too large."), code="too_large", status=413)
    if not body.strip():
        data = {}
    else:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApplicationError(_("The request body is not valid JSON."), code="invalid_json")
    if not isinstance(data, dict):
        raise ApplicationError(_("Send a JSON object."), code="invalid_json")
    return data, base64_photos(data.pop("photos", None) or [])


def validate(schema: type[pydantic.BaseModel], data: dict[str, Any]) -> Any:
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        # The API's handler turns this into the one error shape, like any body ninja parses itself.
        raise ValidationError([dict(e, loc=("body", *e["loc"])) for e in exc.errors(include_url=False)])


@dataclass
class Refs:
    agency: Agency | None = None
    co_agencies: list[Agency] = field(default_factory=list)
    grid: Place | None = None


def action_refs(payload: ActionIn) -> Refs:
    """Turn the codes of an action body into objects; unknown codes are field errors. Whether the
    agency or grid may be chosen for this case is the service's rule, not this parser's."""
    refs = Refs()
    errors: dict[str, str] = {}
    codes = {c for c in [payload.agency or "", *payload.co_agencies] if c}
    agencies = {a.code: a for a in Agency.objects.filter(code__in=codes)} if codes else {}
    if payload.agency:
        refs.agency = agencies.get(payload.agency)
        if refs.agency is None:
            errors["agency"] = _("No agency with the code “%(code)s”.") % {"code": payload.agency[:40]}
    unknown = [c for c in payload.co_agencies if c not in agencies]
    if unknown:
        errors["co_agencies"] = _("No agency with the code “%(code)s”.") % {"code": unknown[0][:40]}
    refs.co_agencies = list({c: agencies[c] for c in payload.co_agencies if c in agencies}.values())
    if payload.grid:
        refs.grid = Place.objects.filter(code=payload.grid.strip()[:20], level=Place.Level.GRID).first()
        if refs.grid is None:
            errors["grid"] = _("No grid with the code “%(code)s”.") % {"code": payload.grid[:20]}
    if errors:
        raise invalid(errors)
    return refs
