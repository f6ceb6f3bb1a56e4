"""What several staff pages draw alike: the links between the work pages, and the overview's parts."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.cases import overview as ov
from civicgrid.cases import selectors_work


def work_links(access: selectors_work.WorkAccess) -> list[dict]:
    """Return the links between the work pages this user may open (shown as a small menu)."""
    links = []
    if access.queues:
        links.append({"key": "queue", "url": reverse("cases:queue"), "label": _("My queue")})
    if access.overview:
        links.append({"key": "overview", "url": reverse("cases:overview"), "label": _("Overview")})
    if access.centre:
        links.append({"key": "rankings", "url": reverse("cases:rankings"), "label": _("Rankings")})
    if access.overview:
        links.append({"key": "monthly", "url": reverse("cases:monthly_report"), "label": _("Monthly report")})
    if access.centre:
        links.append({"key": "centre", "url": reverse("cases:centre"), "label": _("Command centre")})
    if access.map:
        links.append({"key": "map", "url": reverse("cases:map"), "label": _("Map")})
    if access.agency:
        links.append({"key": "agency", "url": reverse("cases:agency_inbox"), "label": _("Agency inbox")})
    return links if len(links) > 1 else []


def centre_url(query: dict[str, str]) -> str:
    """The command centre's case list with these filters."""
    return f"{reverse('cases:centre')}?{urlencode(query)}" if query else reverse("cases:centre")


def overview_context(o: ov.Overview) -> dict:
    """What the overview templates draw: the overview with each count's list link, and the chart data."""
    link = centre_url if o.lists else (lambda _query: "")
    return {
        "overview": o,
        "tiles": [{"tile": t, "url": link(t.query)} for t in o.tiles],
        "children": [
            {
                "row": row,
                "drill": f"{reverse('cases:overview')}?{urlencode({'region': row.place.code, 'period': o.period.key})}",
                "open_url": link(row.query),
                "new_url": link(
                    {
                        **row.query,
                        "state": ov.ALL_STATES,
                        "date_from": o.period.start.isoformat(),
                        "date_to": o.period.end.isoformat(),
                    }
                ),
                "overdue_url": link({**row.query, "overdue": "on"}),
                "closed_url": link(
                    {
                        **row.query,
                        "closed_from": o.period.start.isoformat(),
                        "closed_to": o.period.end.isoformat(),
                    }
                ),
            }
            for row in o.children
        ],
        "periods": [
            {
                "key": key,
                "label": label,
                "url": f"?{urlencode({'period': key, **({'region': o.region} if o.region else {})})}",
            }
            for key, label in ov.PERIODS.items()
        ],
        "chart": {
            "trend": {
                "days": [d.strftime("%m-%d") for d, _n, _c in o.trend],
                "new": [n for _d, n, _c in o.trend],
                "closed": [c for _d, _n, c in o.trend],
            },
            "categories": [{"name": c.display_name, "value": n} for c, n in o.categories],
        },
    }


def strip_context(user) -> dict:
    """The one-line overview atop the command centre and the home page (a brief overview)."""
    return overview_context(ov.overview(user=user, brief=True))
