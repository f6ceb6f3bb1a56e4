"""Demo cases: reports across the demo county, walked through the workflow by the demo's own people.

Everything goes through `civicgrid.cases.services`, so the demo's record is what real use would
leave: events, deadlines, notifications. Seeded, so every `make demo` shows the same cases.
"""

from __future__ import annotations

import io
import random

from django.db import router
from PIL import Image, ImageDraw
from shapely.geometry import shape

from civicgrid.accounts.models import Agency, RoleAssignment, User
from civicgrid.cases import counts, figures, selectors, services
from civicgrid.cases.models import (
    Appointment,
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    CategoryQuestion,
    Notification,
)
from civicgrid.cases.seed import DEMO_ANSWERS, agency_kinds, load_questions
from civicgrid.places import routing
from civicgrid.places.models import Boundary, Place

SEED = 20261129
# Seed agency kinds (cases/seed.py) → demo agency codes (site/demo.py).
AGENCY_BY_KIND = {
    "urban": "qinhu-urban-management",
    "power": "qinhu-power",
    "water_supply": "qinhu-water-supply",
    "gas": "qinhu-gas",
    "transport": "qinhu-transport",
    "bus": "qinhu-bus",
    "housing": "qinhu-housing",
    "water": "qinhu-water",
    "environment": "qinhu-environment",
    "market": "qinhu-market",
    "emergency": "qinhu-emergency",
    "civil_affairs": "qinhu-civil-affairs",
}
DESCRIPTIONS = {
    "C0101": "人行道上的井盖缺了一角，晚上很危险",
    "C0102": "小区门口两盏路灯连续三天不亮",
    "C0201": "路面有一个大坑，电动车经过容易摔倒",
    "C0301": "垃圾箱已经满溢，周边有异味",
    "C0302": "公厕洗手池坏了，一直漏水",
    "C0303": "公共厕所没有无障碍扶手，老人使用不便",
    "C0401": "昨晚大风，一棵行道树倒在路边",
    "E0101": "河边空地堆放了大量生活垃圾",
    "E0102": "下雨后路口积水很深，行人无法通过",
    "E0104": "夜间工地施工噪声很大，影响休息",
    "E0201": "楼道里贴满了小广告",
    "E0401": "早市摊贩占用机动车道经营",
    "E0402": "消防通道被车辆长期占用",
    "E0403": "地铁口共享单车堆放杂乱",
    "E0601": "楼上住户漏水到楼下，双方协商未果",
    "E0602": "独居老人需要上门助餐服务",
    "E0604": "老旧小区电动车在楼道充电，存在火灾隐患",
}
# How far each demo case goes, in order; repeated over the cases of the persona town.
JOURNEYS = [
    [],
    ["accept"],
    ["accept", "handle_in_grid"],
    ["accept", "escalate_to_village"],
    ["accept", "escalate_to_village", "escalate_to_town"],
    ["accept", "escalate_to_village", "escalate_to_town", "dispatch"],
    ["accept", "escalate_to_village", "escalate_to_town", "dispatch", "sign"],
    ["accept", "escalate_to_village", "escalate_to_town", "dispatch", "sign", "resolve"],
    ["accept", "escalate_to_village", "escalate_to_town", "dispatch", "sign", "resolve", "pass_check"],
    [
        "accept",
        "escalate_to_village",
        "escalate_to_town",
        "dispatch",
        "sign",
        "resolve",
        "pass_check",
        "rate",
    ],
    ["accept", "handle_in_grid", "resolve", "rate"],
    ["accept", "escalate_to_village", "handle_in_village"],
    ["reject"],
]
NOTES = {
    "accept": "已到现场核实，情况属实",
    "reject": "经核实为私人区域，不属于公共问题",
    "escalate_to_village": "网格内无法解决，提请村里会商",
    "escalate_to_town": "需职能部门到场处置，提交镇指挥中心",
    "dispatch": "请尽快派员到场处置",
    "sign": "已签收，安排人员",
    "resolve": "已完成处置，现场已恢复",
    "pass_check": "现场核查合格",
    "handle_in_village": "村两委会商后自行处置",
    "handle_in_grid": "网格内自行处理",
    "rate": "处理及时，满意",
}


def photo(rng: random.Random, label: str) -> bytes:
    """Return a small generated JPEG standing in for a phone photo."""
    image = Image.new(
        "RGB", (480, 360), (rng.randrange(90, 200), rng.randrange(90, 200), rng.randrange(90, 200))
    )
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(480), rng.randrange(360)
        draw.ellipse((x, y, x + rng.randrange(30, 120), y + rng.randrange(30, 90)), fill=(60, 60, 60))
    draw.text((16, 16), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _is_rider(user: User) -> bool:
    return RoleAssignment.objects.filter(user=user, role="mobile_grid_member").exists()


def _staffed(agency: Agency | None, case: Case) -> Agency | None:
    """Return the agency if it has staff and serves the case's region, else the first that does."""
    staffed = selectors.dispatch_agencies(case=case).filter(staff__role="agency_staff").distinct()
    if agency and staffed.filter(pk=agency.pk).exists():
        return agency
    return staffed.first()


def _holder(role: str, place_id: int | None) -> User | None:
    ra = (
        RoleAssignment.objects.filter(role=role, place_id=place_id, is_active=True)
        .select_related("user")
        .first()
    )
    return ra.user if ra else None


def load(
    *, district: Place, town: Place, reporters: list[User], focus_grid: Place | None = None, per_town: int = 6
) -> int:
    """Set the categories' default agencies and add the example questions, then file and walk the demo
    cases (answering those questions); return how many."""
    agencies = {a.code: a for a in Agency.objects.filter(region=district)}
    categories = {c.code: c for c in Category.objects.filter(parent__isnull=False)}
    for code, kind in agency_kinds().items():
        agency = agencies.get(AGENCY_BY_KIND.get(kind, ""))
        if agency and code in categories:
            Category.objects.filter(pk=categories[code].pk).update(default_agency=agency)
            categories[code].default_agency = agency
    load_questions(Category, CategoryQuestion)
    routing.invalidate()
    rng = random.Random(SEED)
    codes = sorted(DESCRIPTIONS)
    grids = list(
        Boundary.objects.filter(
            valid_to__isnull=True, place__level="grid", place__code__startswith=district.code
        )
        .select_related("place__parent__parent")
        .order_by("place__code")
    )
    in_town = [b for b in grids if b.place.code.startswith(town.code)]
    elsewhere = [b for b in grids if not b.place.code.startswith(town.code)]
    operator = _holder("town_operator", town.pk)
    count = 0
    chosen = rng.sample(in_town, min(len(JOURNEYS) * 2, len(in_town)))
    # The demo's grid worker finds work waiting in their own grid: to verify, to handle, to check.
    focus = next((b for b in in_town if focus_grid and b.place_id == focus_grid.pk), None)
    if focus is not None:
        for number in (0, 1, 2, 7, 13):
            if number < len(chosen):
                chosen[number] = focus
    for number, boundary in enumerate(chosen):
        reporter = reporters[number % len(reporters)]
        category = categories[codes[number % len(codes)]]
        count += _file(rng, boundary, category, reporter, JOURNEYS[number % len(JOURNEYS)], operator)
    for boundary in rng.sample(elsewhere, min(per_town * 3, len(elsewhere))):
        journey = rng.choice([[], [], ["accept"]])
        count += _file(rng, boundary, categories[rng.choice(codes)], rng.choice(reporters), journey, None)
    return count


def _file(rng, boundary: Boundary, category: Category, reporter: User, journey: list[str], operator) -> int:
    point = shape(boundary.geometry).representative_point()
    grid = boundary.place
    case = services.case_create(
        reporter=reporter,
        source=Case.Source.MOBILE if _is_rider(reporter) else Case.Source.RESIDENT,
        category=category,
        description=DESCRIPTIONS[category.code],
        lon=round(point.x, 6),
        lat=round(point.y, 6),
        address=f"{grid.parent.name}{grid.name.removeprefix(grid.parent.name)}附近",
        photos=[photo(rng, category.code)],
        reporter_phone=f"139{rng.randrange(10**8):08d}",
        answers=DEMO_ANSWERS.get(category.code),
    ).case
    worker = _holder("grid_worker", grid.pk)
    cadre = _holder("village_cadre", grid.parent_id)
    actors = {
        "accept": worker,
        "reject": worker,
        "handle_in_grid": worker,
        "escalate_to_village": worker,
        "pass_check": worker,
        "handle_in_village": cadre,
        "escalate_to_town": cadre,
        "dispatch": operator,
        "rate": reporter,
    }
    for action in journey:
        actor = actors.get(action)
        kwargs: dict = {"note": NOTES.get(action, "")}
        if action == "dispatch":
            kwargs["agency"] = _staffed(category.default_agency, case)
            if kwargs["agency"] is None:
                break
        if action in ("sign", "resolve"):
            agency = case.lead_agency
            actor = (
                RoleAssignment.objects.filter(role="agency_staff", agency=agency)
                .select_related("user")
                .first()
            )
            actor = actor.user if actor else None
        if action == "resolve":
            kwargs["photos"] = [photo(rng, "done")]
        if action == "rate":
            kwargs.update(solved=True, satisfaction="satisfied")
        if actor is None:
            break
        case = services.case_act(case=case, action=action, actor=actor, **kwargs)
    return 1


def delete(*, reporters) -> int:
    """Remove the cases the demo's own reporters filed, with their record; for `load_demo --reset`.

    Case events are append-only for everyone else; only demo data is ever removed this way, and
    only as a whole case.
    """
    cases = Case.objects.filter(reporter__in=reporters)
    ids = list(cases.values_list("pk", flat=True))
    using = router.db_for_write(Case)
    counts.remove(Case.objects.filter(pk__in=ids))
    figures.remove(Case.objects.filter(pk__in=ids))
    for model in (Notification, Appointment, CasePhoto):
        model.objects.filter(case_id__in=ids).delete()
    CaseEvent.objects.filter(case_id__in=ids)._raw_delete(using)
    Case.co_agencies.through.objects.filter(case_id__in=ids).delete()
    Case.objects.filter(merged_into_id__in=ids).update(merged_into=None)
    Case.objects.filter(pk__in=ids)._raw_delete(using)
    return len(ids)
