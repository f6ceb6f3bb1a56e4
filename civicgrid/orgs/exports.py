"""The network on paper: the printable overview of an organisation's network and the Excel export of
its subtree. Written like the other exports: openpyxl's write-only mode streams rows to a temporary
file, read in path order with a streaming cursor; each export is an audit entry (it discloses names)."""

from __future__ import annotations

import tempfile
from collections import defaultdict

from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from civicgrid.core import audit
from civicgrid.lib.privacy import mask_phone
from civicgrid.orgs import access, selectors
from civicgrid.orgs.models import FEDERATION_LEVEL, Organisation, OrgKind, Position, subtree

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (
    (gettext_lazy("Level below"), 8),
    (gettext_lazy("Name"), 36),
    (gettext_lazy("Kind"), 22),
    (gettext_lazy("Region"), 18),
    (gettext_lazy("Region code"), 16),
    (gettext_lazy("Status"), 10),
    (gettext_lazy("Founded on"), 12),
    (gettext_lazy("Chair"), 12),
    (gettext_lazy("Contact person"), 12),
    (gettext_lazy("Contact phone"), 15),
    (gettext_lazy("Above it"), 36),
)
# The overview lists federations and their chairs down to this many levels below the organisation.
OVERVIEW_LEVELS = 3
OVERVIEW_ROWS = 400
CHUNK = 2000


def _chairs(org_ids: list[int]) -> dict[int, str]:
    rows = Position.objects.filter(
        selectors.current_positions(), organisation_id__in=org_ids, role=Position.Role.CHAIR
    ).values_list("organisation_id", "person__name")
    return dict(rows)


def subtree_workbook(user, org: Organisation) -> FileResponse:
    """The organisation and everything below it, one row each in tree order, chairs included."""
    access.check_view(user, org)
    full = access.can_see_contacts(user, org)
    kinds = {k: str(v) for k, v in OrgKind.choices}
    statuses = {k: str(v) for k, v in Organisation.Status.choices}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Network"))
    for i, (_label, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    header = []
    for label, _width in COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    names: dict[str, str] = {a.path: a.name for a in selectors.ancestors(org)}
    qs = (
        Organisation.objects.filter(subtree(org.path))
        .order_by("path")
        .values_list(
            "pk",
            "path",
            "depth",
            "name",
            "kind",
            "region__name",
            "region__code",
            "status",
            "founded_on",
            "contact_name",
            "contact_phone",
        )
    )
    rows = 0
    batch: list[tuple] = []

    def flush() -> None:
        chairs = _chairs([r[0] for r in batch])
        for pk, path, depth, name, kind, region, code, status, founded, contact, phone in batch:
            parent = names.get(path[: -Organisation.steplen], "")
            sheet.append(
                [
                    depth - org.depth,
                    name,
                    kinds.get(kind, kind),
                    region,
                    code,
                    statuses.get(status, status),
                    founded,
                    chairs.get(pk, ""),
                    contact,
                    phone if full else mask_phone(phone),
                    parent,
                ]
            )
        batch.clear()

    for row in qs.iterator(chunk_size=CHUNK):
        names[row[1]] = row[3]
        batch.append(row)
        rows += 1
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response that streams it
    workbook.save(file)
    file.seek(0)
    with transaction.atomic():
        audit.record(
            actor=user,
            action="orgs.export",
            target=org,
            place_code=org.region.code,
            changes={"rows": {"to": rows}},
        )
    filename = f"network-{org.pk}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(file, as_attachment=True, filename=filename, content_type=CONTENT_TYPE)


def overview(user, org: Organisation) -> dict:
    """The context of the printable overview: counts by kind and the federations (with chairs) below."""
    access.check_view(user, org)
    counts = selectors.kind_counts(org)
    federation_kinds = [
        k
        for k in OrgKind.values
        if k not in (OrgKind.WOMENS_HOME, OrgKind.MICRO_HOME, OrgKind.VOLUNTEER_TEAM, OrgKind.WOMENS_GROUP)
    ]
    nodes = list(
        Organisation.objects.filter(
            subtree(org.path), depth__lte=org.depth + OVERVIEW_LEVELS, kind__in=federation_kinds
        )
        .exclude(status=Organisation.Status.DISSOLVED)
        .select_related("region")
        .order_by("path")[: OVERVIEW_ROWS + 1]
    )
    truncated = len(nodes) > OVERVIEW_ROWS
    nodes = nodes[:OVERVIEW_ROWS]
    chairs = _chairs([n.pk for n in nodes])
    by_level: dict[str, int] = defaultdict(int)
    for kind, n in counts:
        if kind in FEDERATION_LEVEL:
            by_level[FEDERATION_LEVEL[kind]] += n
    return {
        "org": org,
        "counts": [(OrgKind(k).label, n) for k, n in counts],
        "total": sum(n for _k, n in counts),
        "rows": [(n, n.depth - org.depth, chairs.get(n.pk, "")) for n in nodes],
        "truncated": truncated,
        "printed_on": timezone.localdate(),
        "ancestors": selectors.ancestors(org),
    }
