"""The demo county's 12345 hotline: its category table, orders imported as a real export, replies.

`load()` runs after the demo's address register (`site.demo.demo_load`); `delete()` before the
demo's places go. Everything goes through the code real use runs:

1. The category table: the paths of `hotline_sample.PATHS` mapped by the county administrator
   (`hotline_categories.mapping_answer`, on the audit log), two recorded unmapped
   (`paths_seen`), so the table and the next upload of the sample ask the question.
2. About 30 orders written against the persona town's register (`hotline_sample.sample_rows`, three
   naming nothing on record), read from an .xlsx (`hotline.parse_orders`) and imported by the town
   operator (`hotline.import_orders`): most routed to their grid by address, a few unrouted, waiting
   beside the work map.
3. Some routed orders handled in their grid and closed with the town's phone follow-up
   (`services.case_act`), so the reply list and workbook have answers.
"""

from __future__ import annotations

import io
import random

from django.db import router, transaction
from PIL import Image

from civicgrid.accounts.models import RoleAssignment, User
from civicgrid.cases import access, counts, figures, hotline, hotline_categories, hotline_sample, services
from civicgrid.cases.models import (
    Appointment,
    Case,
    CaseEvent,
    CaseFollower,
    CasePhoto,
    HotlineCategoryMap,
    HotlineOrder,
    Notification,
)

SEED = 20261202
# Every demo order's number starts so (`delete` finds them by it).
PREFIX = "DM"
ORDERS = 30
OPERATOR = "town"
ADMINISTRATOR = "county"
# Addresses on no register: their orders wait in the town's unrouted queue.
UNKNOWN = ("澄湖鹤鸣路18号", "麒麟花园5幢2单元", "星浦蓬莱街一百零八号")
# Of the routed orders, how many are handled in the grid, and how many of those closed by the follow-up.
HANDLED = 9
CLOSED = 5


def _photo(rng: random.Random) -> bytes:
    """Return a small JPEG standing in for the handler's photo of the result."""
    image = Image.new(
        "RGB", (320, 240), (rng.randrange(90, 200), rng.randrange(120, 200), rng.randrange(90, 160))
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def _mapped_paths() -> list[tuple[str, str]]:
    return [(path, code) for path, code, _unit, _texts in hotline_sample.PATHS if code]


def _unmapped_paths() -> list[str]:
    return [path for path, code, _unit, _texts in hotline_sample.PATHS if not code]


def categories_load(administrator: User) -> int:
    """Map the sample's paths as the administrator would; record the unmapped ones. Return how many mapped."""
    for path, code in _mapped_paths():
        hotline_categories.mapping_answer(
            actor=administrator, key=hotline_categories.path_key(path), category=code, path=path
        )
    hotline_categories.paths_seen(
        {hotline_categories.path_key(path): (path, 1) for path in _unmapped_paths()}, count=True
    )
    return len(_mapped_paths())


def _grid_worker(grid_id: int) -> User | None:
    assignment = (
        RoleAssignment.objects.filter(role="grid_worker", place_id=grid_id, is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return assignment.user if assignment else None


@transaction.atomic
def load(*, operator: User | None = None, administrator: User | None = None) -> int:
    """Write the demo's hotline data; return how many orders were filed (none when already there,
    or when the operator, administrator or register is missing). By default the demo's town
    operator imports and its county administrator maps the paths."""
    if HotlineOrder.objects.filter(order_number__startswith=PREFIX).exists():
        return 0
    operator = operator or User.objects.filter(username=OPERATOR).first()
    administrator = administrator or User.objects.filter(username=ADMINISTRATOR).first()
    region = access.hotline_region(operator) if operator is not None else None
    if operator is None or administrator is None or region is None:
        return 0
    categories_load(administrator)
    addresses = hotline_sample.region_register(region, grids=15, per_grid=30, seed=SEED)
    if not addresses:
        return 0
    rows = hotline_sample.sample_rows(
        addresses,
        seed=SEED,
        n=ORDERS - len(UNKNOWN),
        prefix=PREFIX,
        unmapped=False,
        extra_addresses=UNKNOWN,
    )
    raw = hotline_sample.workbook_bytes(rows)
    run = hotline.import_orders(orders=hotline.parse_orders(raw, "demo.xlsx"), user=operator, commit=True)
    filed = [r.tracking_number for r in run.results if r.outcome == "created"]
    rng = random.Random(SEED)
    for number in filed[:HANDLED]:
        _handle(Case.objects.get(tracking_number=number), operator, rng, close=number in filed[:CLOSED])
    return run.counts["routed"] + run.counts["unrouted"]


def _handle(case: Case, operator: User, rng: random.Random, *, close: bool) -> None:
    """Walk a routed order through its grid: accepted, handled, resolved (the reply), and closed by
    the town's phone follow-up."""
    worker = _grid_worker(case.grid_id)
    if worker is None:
        return
    case = services.case_act(
        case=case, action="accept", actor=worker, note="已联系来电人，到现场核实情况属实"
    )
    case = services.case_act(case=case, action="handle_in_grid", actor=worker, note="网格内自行处理")
    case = services.case_act(
        case=case,
        action="resolve",
        actor=worker,
        note="已到现场处理完毕，已电话告知来电人处理结果",
        photos=[_photo(rng)],
    )
    if close:
        services.case_act(
            case=case,
            action="rate",
            actor=operator,
            note="电话回访，来电人表示满意",
            solved=True,
            satisfaction="satisfied",
        )


@transaction.atomic
def delete() -> int:
    """Remove the demo's orders with their cases and record, and its category paths; return how many
    orders went. Case events are append-only for everyone else: only demo data goes this way, and
    only as whole cases (as `site.demo_cases.delete` does for the demo's reports)."""
    cases = Case.objects.filter(source=Case.Source.HOTLINE, external_ref__startswith=PREFIX)
    ids = list(
        HotlineOrder.objects.filter(order_number__startswith=PREFIX, case__in=cases).values_list(
            "case_id", flat=True
        )
    )
    using = router.db_for_write(Case)
    counts.remove(Case.objects.filter(pk__in=ids))
    figures.remove(Case.objects.filter(pk__in=ids))
    for model in (Notification, Appointment, CasePhoto, CaseFollower, HotlineOrder):
        model.objects.filter(case_id__in=ids).delete()
    CaseEvent.objects.filter(case_id__in=ids)._raw_delete(using)
    Case.co_agencies.through.objects.filter(case_id__in=ids).delete()
    Case.objects.filter(merged_into_id__in=ids).update(merged_into=None)
    Case.objects.filter(pk__in=ids)._raw_delete(using)
    keys = [hotline_categories.path_key(path) for path, *_rest in hotline_sample.PATHS]
    HotlineCategoryMap.objects.filter(path_key__in=keys).delete()
    return len(ids)
