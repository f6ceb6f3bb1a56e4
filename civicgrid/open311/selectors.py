"""What the Open311 read methods answer: discovery, services, service definitions, requests, tokens.

Built on the same rules as the rest of the application: the reportable categories and their
questions (`cases.categories`), the public cases and what the public may read of them
(`cases.presenters.public_summaries`, the status page's rules). Nothing here decides visibility.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from civicgrid.cases import categories, presenters
from civicgrid.cases.models import TERMINAL_STATES, Case, Category
from civicgrid.core.errors import NotFound
from civicgrid.open311 import params as p
from civicgrid.open311.formats import MEDIA_TYPES, Items, moment
from civicgrid.open311.models import Open311Request

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The spec's default and our largest page: 1,000 requests.
PAGE_SIZE = 1000
# How deep pages reach (page × page_size): further on, a narrower window is cheaper to read.
MAX_OFFSET = 100_000
# Ids one `service_request_id` list may name.
MAX_IDS = 200


def _english() -> bool:
    return (get_language() or "").startswith("en")


# ---------------------------------------------------------------------------------------------
# Discovery


def discovery(absolute: Callable[[str], str]) -> dict:
    """Return the discovery document; `absolute` turns a path into a full URL."""
    _revision, changed_at = categories.revision()
    changeset = moment(changed_at) or "2026-01-01T00:00:00+08:00"
    return {
        "changeset": changeset,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE or settings.OPEN311_CONTACT,
        "endpoints": Items(
            "endpoint",
            [
                {
                    "specification": SPECIFICATION,
                    "url": absolute("/open311/v2"),
                    "changeset": changeset,
                    "type": settings.OPEN311_ENDPOINT_TYPE,
                    "formats": Items("format", list(MEDIA_TYPES)),
                }
            ],
        ),
    }


# ---------------------------------------------------------------------------------------------
# Services: the reportable minor categories


def _deadlines(category: Category) -> str:
    if category.resolution_workdays:
        resolution = _("resolved within %(n)d working days") % {"n": category.resolution_workdays}
    elif category.resolution_hours:
        resolution = _("resolved within %(n)d hours") % {"n": category.resolution_hours}
    else:
        resolution = ""
    parts = [_("signed for by the agency within %(n)d hours") % {"n": category.response_hours}]
    if resolution:
        parts.append(resolution)
    # The list separator of the reader's language (；in Chinese).
    return ("; " if _english() else "；").join(parts)


def _service(category: Category) -> dict:
    parent = category.parent
    other_name = category.name if _english() else category.name_en
    keywords = [parent.display_name, str(category.get_kind_display()), other_name, category.code]
    return {
        "service_code": category.code,
        "service_name": category.display_name,
        "description": _("%(group)s · %(name)s: %(deadlines)s.")
        % {"group": parent.display_name, "name": category.display_name, "deadlines": _deadlines(category)},
        "metadata": bool(categories.questions(category)),
        "type": "realtime",
        "keywords": ",".join(k for k in keywords if k),
        "group": parent.display_name,
    }


def services() -> Items:
    return Items("service", [_service(c) for c in categories.reportable()])


def _category(code: str) -> Category:
    found = categories.eligible(code)
    if found is None:
        raise NotFound(_("No service with the code “%(code)s”.") % {"code": code[:20]})
    return found


def service_definition(code: str) -> dict:
    """Return a service's definition: its questions as Open311 attributes, in their order."""
    category = _category(code)
    attributes = []
    for q in categories.questions(category):
        listed = q.datatype in ("singlevaluelist", "multivaluelist")
        attributes.append(
            {
                "variable": True,
                "code": q.code,
                "datatype": q.datatype,
                "required": q.required,
                "datatype_description": q.display_hint or None,
                "order": q.order,
                "description": q.display_label,
                "values": Items("value", [{"key": v.key, "name": v.display_name} for v in q.values])
                if listed
                else Items("value", []),
            }
        )
    return {"service_code": category.code, "attributes": Items("attribute", attributes)}


# ---------------------------------------------------------------------------------------------
# Requests


def _record(summary: presenters.PublicSummary, absolute: Callable[[str], str], extensions: bool) -> dict:
    closed = not summary.is_open
    record = {
        "service_request_id": summary.tracking_number,
        "status": "closed" if closed else "open",
        "status_notes": summary.reply or None,
        "service_name": summary.category.name,
        "service_code": summary.category.code,
        "description": summary.description,
        "agency_responsible": summary.responsible or None,
        "service_notice": None,
        "requested_datetime": moment(summary.created_at),
        "updated_datetime": moment(summary.closed_at if closed and summary.closed_at else summary.updated_at),
        "expected_datetime": moment(summary.resolution_due_at),
        "address": summary.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": summary.lat,
        "long": summary.lon,
        "media_url": absolute(summary.photo_url) if summary.photo_url else None,
    }
    if extensions:
        record["extended_attributes"] = {
            "detailed_status": summary.state,
            "detailed_status_label": summary.state_label,
            "group": summary.category.parent_name,
            "status_url": absolute(f"/cases/status/{summary.tracking_number}/"),
        }
        record["notes"] = Items(
            "note",
            [
                {
                    "datetime": moment(e.at),
                    "description": e.note or e.label,
                    "type": "reply" if e.note else "step",
                    "status": e.state_label or None,
                }
                for e in summary.entries
            ],
        )
    return record


def _summaries(cases: list[Case], extensions: bool) -> list[presenters.PublicSummary]:
    return presenters.public_summaries(cases, entries=extensions)


def _public() -> QuerySet[Case]:
    return (
        Case.objects.filter(is_public=True)
        .select_related(*presenters.PUBLIC_RELATED)
        .only(*presenters.PUBLIC_FIELDS)
    )


def requests(params: QueryDict, absolute: Callable[[str], str]) -> Items:
    """Answer GET requests: by `service_request_id` (which overrides every other filter), or by
    service codes, a window of at most 90 days on the request's time (default: the last 90 days),
    and status; newest first, `page_size` (≤ 1,000, the default) a `page`."""
    extensions = p.flag(params, "extensions")
    ids = p.many(params, "service_request_id")
    if ids:
        if len(ids) > MAX_IDS:
            raise p.bad("service_request_id", _("Ask for at most %(n)d requests at once.") % {"n": MAX_IDS})
        found = {c.tracking_number: c for c in _public().filter(tracking_number__in=ids)}
        cases = [found[i] for i in ids if i in found]
        return Items("request", [_record(s, absolute, extensions) for s in _summaries(cases, extensions)])
    query = Q()
    codes = p.many(params, "service_code")
    if codes:
        family: list[int] = []
        for code in codes:
            family.extend(categories.family_ids(code.upper()))
        if not family:
            raise NotFound(_("No service with the code “%(code)s”.") % {"code": codes[0][:20]})
        query &= Q(category_id__in=family)
    start, end = p.moment(params, "start_date"), p.moment(params, "end_date")
    now = timezone.now()
    if start is None and end is None:
        start = now - p.WINDOW
    elif start is None:
        start = end - p.WINDOW
    elif end is None:
        end = min(start + p.WINDOW, now) if start < now else None
    if end is not None and end < start:
        raise p.bad("end_date", _("end_date is before start_date."))
    if end is not None and end - start > p.WINDOW:
        raise p.bad("end_date", _("Ask for at most 90 days of requests at once."))
    query &= Q(created_at__gte=start)
    if end is not None:
        query &= Q(created_at__lte=end)
    statuses = {s.lower() for s in p.many(params, "status")}
    unknown = statuses - {"open", "closed"}
    if unknown:
        raise p.bad("status", _("status is open, closed or both (open,closed)."))
    if statuses == {"open"}:
        query &= ~Q(state__in=TERMINAL_STATES)
    elif statuses == {"closed"}:
        query &= Q(state__in=TERMINAL_STATES)
    size = p.whole(params, "page_size", default=PAGE_SIZE, high=PAGE_SIZE)
    page = p.whole(params, "page", default=1, high=MAX_OFFSET)
    first = (page - 1) * size
    if first >= MAX_OFFSET:
        raise p.bad(
            "page",
            _("Pages reach %(n)s requests deep: narrow the window with start_date and end_date to read on.")
            % {"n": f"{MAX_OFFSET:,}"},
        )
    cases = list(_public().filter(query).order_by("-created_at", "-id")[first : first + size])
    return Items("request", [_record(s, absolute, extensions) for s in _summaries(cases, extensions)])


def request(request_id: str, params: QueryDict, absolute: Callable[[str], str]) -> Items:
    case = _public().filter(tracking_number=request_id.strip()).first()
    if case is None:
        raise NotFound(_("No public request has the id “%(id)s”.") % {"id": request_id[:30]})
    extensions = p.flag(params, "extensions")
    return Items("request", [_record(s, absolute, extensions) for s in _summaries([case], extensions)])


def token(value: str) -> Items:
    row = (
        Open311Request.objects.filter(token=value.strip().lower())
        .values_list("case__tracking_number", "token")
        .first()
    )
    if row is None:
        raise NotFound(_("No request has the token “%(token)s”.") % {"token": value[:40]})
    return Items("request", [{"service_request_id": row[0], "token": row[1]}])


def notice(case: Case) -> str:
    """Return the service_notice of a filed request: what happens next, and where to follow it."""
    return _(
        "Received as %(number)s. The grid worker checks it on site; follow it with GET requests/%(number)s "
        "or on the public status page."
    ) % {"number": case.tracking_number}
