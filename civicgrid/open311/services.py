"""POST requests: an Open311 client files a case through the one intake service.

Everything a case must satisfy is `cases.services.case_create`'s rule (category eligibility, the
questions' answers, text, phone and photo checks, routing, idempotency); this door adds only what
is Open311's: the client's key and its region, the key's rate, the spec's parameter names, and the
private record of what the client said about the reporter.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from civicgrid.accounts import services as accounts
from civicgrid.accounts.models import ClientApp
from civicgrid.addresses import locating
from civicgrid.cases import categories
from civicgrid.cases import services as cases
from civicgrid.cases.models import Case
from civicgrid.core.errors import ApplicationError, NotFound, PermissionDenied
from civicgrid.open311 import params as p
from civicgrid.open311.models import Open311Request
from civicgrid.places import routing

# attribute[CODE] and attribute[CODE][] (a multivaluelist's values).
ATTRIBUTE_RE = re.compile(r"^attribute\[([^\[\]]{1,60})\](\[\])?$")
# What the client tells of the person reporting, kept private (Open311Request).
REPORTER_FIELDS = ("first_name", "last_name", "email", "phone", "device_id", "account_id")
FIELD_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "phone": 40,
    "device_id": 100,
    "account_id": 100,
}
ADDRESS_MAX = 200
MEDIA_URL_RE = re.compile(r"^https?://\S{1,490}$")


@dataclass(frozen=True)
class Filed:
    case: Case
    created: bool
    account_id: str


def client_for(api_key: str | None) -> ClientApp:
    """Return the client application of an api_key, or refuse (403) a missing or unknown one."""
    client = accounts.client_app_authenticate(api_key or "")
    if client is None:
        raise PermissionDenied(
            _("Invalid api_key received: can't proceed with create_request.")
            if api_key
            else _("An api_key is required to create a request."),
            code="api_key",
        )
    return client


def _answers(params: QueryDict) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for key in params:
        match = ATTRIBUTE_RE.match(key)
        if match is None:
            continue
        values = [v for v in params.getlist(key) if v.strip() != ""]
        if not values:
            continue
        code = match.group(1).strip()
        if match.group(2):
            answers.setdefault(code, [])
            if isinstance(answers[code], list):
                answers[code].extend(values)
        else:
            answers[code] = values if len(values) > 1 else values[-1]
    return answers


def _within(location: routing.Location, client: ClientApp) -> bool:
    """Return whether the point's most specific place lies in the client's region."""
    region = client.region
    for ref in (location.grid, location.village, location.town, location.district):
        if ref is not None:
            return ref.code.startswith(region.scope_prefix) and len(ref.code) >= len(region.code)
    return False


def request_create(*, params: QueryDict, files: MultiValueDict, idempotency_key: str = "") -> Filed:
    """File a request; return its case, whether it is new, and the account_id to echo.

    1. The key (403), the jurisdiction (404), the service (400 missing, 404 unknown), one location
       (lat and long, or an address_string; address ids are not known here), the reporter fields'
       lengths: all checked before anything is written.
    2. The key's rate, then the point must lie in the key's region; an address alone is placed by
       the standard address register, else the village or town it names there, unrouted
       (`addresses.locating.locate_text`).
    3. The case and the private Open311 record in one transaction: a POST that fails files nothing.
    """
    client = client_for(p.one(params, "api_key"))
    p.check_jurisdiction(params)
    code = p.one(params, "service_code")
    if code is None:
        raise p.bad("service_code", _("service_code is required."))
    category = categories.eligible(code)
    if category is None:
        raise NotFound(_("No service with the code “%(code)s”.") % {"code": code[:20]})
    errors: dict[str, str] = {}
    lat = lon = None
    try:
        lat = p.number(params, "lat", low=-90, high=90)
    except ApplicationError as exc:
        errors.update(exc.extra["fields"])
    try:
        lon = p.number(params, "long", low=-180, high=180)
    except ApplicationError as exc:
        errors.update(exc.extra["fields"])
    if not errors and (lat is None) != (lon is None):
        errors["lat" if lat is None else "long"] = _("Send lat and long together.")
    address = p.one(params, "address_string") or ""
    if not errors and lat is None and not address:
        if p.one(params, "address_id"):
            errors["address_id"] = _(
                "address_id is not known here (no address register yet): send lat and long, or "
                "address_string."
            )
        else:
            errors["lat"] = _("Send the location: lat and long (WGS-84), or address_string.")
    if len(address) > ADDRESS_MAX:
        errors["address_string"] = _("%(name)s is longer than %(n)d characters.") % {
            "name": "address_string",
            "n": ADDRESS_MAX,
        }
    reporter = {name: p.one(params, name) or "" for name in REPORTER_FIELDS}
    for name, limit in FIELD_LIMITS.items():
        if len(reporter[name]) > limit:
            errors[name] = _("%(name)s is longer than %(n)d characters.") % {"name": name, "n": limit}
    media_url = p.one(params, "media_url") or ""
    if media_url and not MEDIA_URL_RE.match(media_url):
        errors["media_url"] = _("media_url must be an http or https address.")
    if errors:
        raise ApplicationError(
            _("Please correct the marked fields."), code="invalid", extra={"fields": errors}
        )
    accounts.client_app_check_rate(client)
    event_data = {"open311_client": client.pk, "open311_client_name": client.name}
    if lat is None:
        # An address alone: placed by the standard address register when it knows the address,
        # else by the village or town it names in the key's region, unrouted, for the operator.
        location, found = locating.locate_text(address, client.region)
        lon, lat = location.lon, location.lat
        event_data["located_by"] = "address"
        if found is not None and location.routed:
            event_data.update(address_match=found.method, address_confidence=round(found.confidence, 2))
    else:
        location = routing.locate(lon, lat)
    if not _within(location, client):
        raise p.bad(
            "lat",
            _("The location is outside %(region)s, where this api_key may file requests.")
            % {"region": client.region.display_name},
        )
    key = (idempotency_key or "").strip()
    description = p.one(params, "description") or category.display_name
    with transaction.atomic():
        intake = cases.case_create(
            reporter=None,
            source=Case.Source.OPEN311,
            category=category,
            description=description,
            lon=lon,
            lat=lat,
            address=address,
            location=location,
            photos=files.getlist("media"),
            reporter_name=_person(reporter["first_name"], reporter["last_name"]),
            reporter_phone=reporter["phone"],
            client_app=client,
            idempotency_key=f"o311.{client.pk}.{key}" if key else "",
            answers=_answers(params),
            event_data=event_data,
        )
        if intake.created:
            Open311Request.objects.create(
                case=intake.case,
                client=client,
                token=secrets.token_hex(16),
                media_url=media_url,
                **reporter,
            )
    return Filed(intake.case, intake.created, reporter["account_id"])


def _person(first: str, last: str) -> str:
    """Return a reporter's name as it is written: family name first in Chinese (王小明), else
    "first last"."""
    if not (first or last):
        return ""
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)
