"""Demo deliberation meetings (逢五说事) for the demo county, for the demo loader (`site.demo`).

`load()` gives each village and community of the demo county (琴湖市, 329881) a 逢五说事 series
(the 5th, 15th and 25th, moved to the next working day), whose meetings of the next 60 days are
planned by the series itself; and its last rule dates before today as meetings held, recorded and
published: an agenda, who came, minutes and two decisions each — the older ones done on time, one
overdue, the latest still to do. One decision moves a demo case waiting at its village on through
the workflow (the persona village's, else the first village with one).

Everything goes through `services_meetings`, as the cadres would do it, except what only time can
do: the held meetings are backdated rows of their series (the scheduler plans from today on), and
decisions marked done get the day they were done. `delete()` removes it all (before the demo's
cases, which the decisions keep).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import Agency, RoleAssignment, User
from civicgrid.cases.models import Case
from civicgrid.core.roles import Role
from civicgrid.governance import recurrence, services_meetings
from civicgrid.governance.models import AgendaItem, Attendance, Decision, Meeting, MeetingSeries
from civicgrid.places.models import Place

services = services_meetings
DEMO_SEED = 20261215
DISTRICT_CODE = "329881"
PERSONA_CADRE = "village"
PAST_MEETINGS = 3

VILLAGE_MATTERS = (
    ("村道路灯维修", "路灯由村里统一更换，村建设组负责"),
    ("农田灌溉渠修复", "灌溉渠由村集体出资修复，汛期前完工"),
    ("垃圾分类积分兑换", "每月 15 日在村委会兑换积分，妇联负责"),
    ("河道保洁承包", "河道保洁重新招标，村监委会监督"),
    ("老年食堂用餐补贴", "70 岁以上老人每餐补贴 3 元，从村集体收入列支"),
    ("防汛物资准备", "沙袋、水泵补齐，民兵连负责"),
    ("文明家庭评选", "各组推荐两户，下次会议表决"),
    ("村口停车难", "在村委会东侧划设 20 个临时停车位"),
)
COMMUNITY_MATTERS = (
    ("老旧小区加装电梯", "3 幢业主意见征集，社区负责联系设计单位"),
    ("楼道堆物清理", "物业牵头，网格员配合，两周内清理完毕"),
    ("非机动车充电桩", "在 5 幢北侧增设充电桩 20 个"),
    ("物业费调整听证", "召开业主代表听证会，社区居委会主持"),
    ("小区绿化补种", "补种香樟 12 棵，物业负责养护"),
    ("夜间广场舞噪音", "约定 21:00 前结束，音量不超过 55 分贝"),
    ("独居老人定期探访", "网格员每周上门一次，志愿者结对"),
    ("地下车库渗水", "物业报修，维修基金列支"),
)
REPRESENTATIVES = ("钱秀英", "孙建国", "周丽华", "吴海燕", "郑德胜", "冯淑珍", "陈志强", "褚桂兰")
RESIDENTS = ("王大伯", "李阿姨", "张师傅", "刘大姐", "杨老师", "黄奶奶")


def _local(day: date, at: time) -> datetime:
    return services.local_start(day, at)


def _cadre(village: Place) -> User | None:
    found = (
        RoleAssignment.objects.filter(role=Role.VILLAGE_CADRE, place=village, is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return found.user if found else None


def _grid_staff(village: Place) -> User | None:
    found = (
        RoleAssignment.objects.filter(
            role__in=[Role.GRID_WORKER, Role.GRID_LEADER], place__parent=village, is_active=True
        )
        .select_related("user")
        .order_by("place__code", "user__username")
        .first()
    )
    return found.user if found else None


def _villages(district_code: str) -> list[Place]:
    villages = list(
        Place.objects.filter(level=Place.Level.VILLAGE, code__startswith=district_code)
        .select_related("parent")
        .order_by("code")
    )
    persona = RoleAssignment.objects.filter(user__username=PERSONA_CADRE, role=Role.VILLAGE_CADRE).first()
    if persona is not None:
        villages.sort(key=lambda v: (v.pk != persona.place_id, v.code))
    return villages


def _past_meetings(series: MeetingSeries, village: Place, town: Place, today: date) -> list[Meeting]:
    """The series' last PAST_MEETINGS rule dates before today, as meetings (backdated rows)."""
    days = recurrence.series_dates(
        series.rule, series.params, series.on_holiday, today - timedelta(days=70), today - timedelta(days=1)
    )
    rows = [
        Meeting(
            series=series,
            place=series.place,
            village=village,
            town=town,
            title=series.name,
            starts_at=_local(day, series.time),
            venue=series.venue,
        )
        for day in days[-PAST_MEETINGS:]
    ]
    Meeting.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        Meeting.objects.filter(series=series, starts_at__in=[m.starts_at for m in rows]).order_by("starts_at")
    )


def _hold(
    meeting: Meeting, cadre: User, grid_staff: User | None, rng: random.Random, matters, agencies
) -> list[AgendaItem]:
    """An agenda of three matters, who came, and the minutes; published."""
    items = [
        services.agenda_add_item(actor=cadre, meeting=meeting, title=title, note="会前已征求各组意见")
        for title, _decided in rng.sample(matters, 3)
    ]
    services.attendance_add(actor=cadre, meeting=meeting, kind="cadre", user=cadre)
    if grid_staff is not None:
        services.attendance_add(actor=cadre, meeting=meeting, kind="grid", user=grid_staff)
    for name in rng.sample(REPRESENTATIVES, 3):
        services.attendance_add(
            actor=cadre,
            meeting=meeting,
            kind="representative",
            name=name,
            organisation=f"{rng.randint(1, 8)}组",
        )
    for name in rng.sample(RESIDENTS, rng.randint(2, 4)):
        services.attendance_add(actor=cadre, meeting=meeting, kind="resident", name=name)
    if agencies:
        agency = rng.choice(agencies)
        services.attendance_add(actor=cadre, meeting=meeting, kind="paired_unit", agency=agency)
    services.attendance_add(
        actor=cadre, meeting=meeting, kind="party_member", name=rng.choice(REPRESENTATIVES), present=False
    )
    minutes = "\n".join(
        f"{n}. {item.title}：{dict(matters)[item.title]}。" for n, item in enumerate(items, start=1)
    )
    meeting = services.meeting_record(
        actor=cadre,
        meeting=meeting,
        minutes=f"到会代表充分讨论，议定如下：\n{minutes}",
        held_at=meeting.starts_at + timedelta(hours=2),
    )
    services.meeting_publish(actor=cadre, meeting=meeting)
    for item in items:
        services.agenda_outcome(actor=cadre, item=item, outcome=dict(matters)[item.title])
    return items


def _decide(
    meeting: Meeting, items: list[AgendaItem], cadre: User, *, age: int, overdue: bool, today: date, matters
) -> int:
    """Two decisions on the first items: done on time for an old meeting, still to do for the latest,
    one left overdue when `overdue`."""
    made = 0
    meeting_day = timezone.localdate(meeting.starts_at)
    for n, item in enumerate(items[:2]):
        due_on = meeting_day + timedelta(days=7 if overdue and n == 1 else 14 + 7 * n)
        decision = services.decision_create(
            actor=cadre,
            meeting=meeting,
            text=dict(matters)[item.title],
            due_on=due_on,
            owner=services.Owner(user=cadre) if n == 0 else services.Owner(name="村（居）务监督委员会"),
            agenda_item=item,
        )
        made += 1
        if age > 0 and not (overdue and n == 1) and due_on < today:
            services.decision_mark(
                actor=cadre, decision=decision, state=Decision.State.DONE, note="已按期完成，群众满意"
            )
            done_on = min(due_on - timedelta(days=2), today)
            Decision.objects.filter(pk=decision.pk).update(done_at=_local(done_on, time(16, 30)))
    return made


def _link_case(villages: list[Place], cadres: dict[int, User], today: date) -> bool:
    """Move a demo case waiting at a village on through its latest held meeting's decision."""
    for village in villages:
        case = Case.objects.filter(village=village, state=Case.State.VILLAGE).order_by("created_at").first()
        cadre = cadres.get(village.pk)
        meeting = (
            Meeting.objects.filter(village=village, state=Meeting.State.HELD).order_by("-starts_at").first()
        )
        if case is None or cadre is None or meeting is None:
            continue
        item = services.agenda_add_case(
            actor=cadre, meeting=meeting, case=case, note="网格员上报，需村里协调"
        )
        services.decision_move_case(
            actor=cadre,
            meeting=meeting,
            text="由村（社区）牵头处理，一周内给反映人答复",
            due_on=max(today + timedelta(days=7), timezone.localdate(meeting.starts_at)),
            owner=services.Owner(user=cadre),
            case=case,
            action="handle_in_village",
            agenda_item=item,
        )
        return True
    return False


@transaction.atomic
def load(stdout: TextIO | None = None, *, district_code: str = DISTRICT_CODE) -> None:
    """Write the demo's meetings for every village and community of the demo county (see the module;
    `district_code`: another district's, for the tests)."""
    rng = random.Random(DEMO_SEED)
    today = timezone.localdate()
    villages = _villages(district_code)
    agencies = list(Agency.objects.filter(region__code=district_code, is_active=True).order_by("code")[:6])
    cadres: dict[int, User] = {}
    counts = {"series": 0, "held": 0, "decisions": 0}
    overdue_left = True
    for village in villages:
        cadre = _cadre(village)
        if cadre is None:
            continue
        cadres[village.pk] = cadre
        community = village.kind == Place.Kind.COMMUNITY
        matters = COMMUNITY_MATTERS if community else VILLAGE_MATTERS
        series = services.series_create(
            actor=cadre,
            place=village,
            name="逢五说事",
            rule=MeetingSeries.Rule.DAYS,
            params={"days": [5, 15, 25]},
            on_holiday=MeetingSeries.Shift.NEXT,
            time=time(19, 0) if community else time(9, 0),
            venue=f"{village.name}党群服务中心议事厅",
        )
        counts["series"] += 1
        coming = Meeting.objects.filter(series=series).order_by("starts_at").first()
        if coming is not None:
            title, _decided = rng.choice(matters)
            services.agenda_add_item(
                actor=cadre, meeting=coming, title=title, note="上次会议提出，本次继续议"
            )
        grid_staff = _grid_staff(village)
        past = _past_meetings(series, village, village.parent, today)
        for age, meeting in zip(range(len(past) - 1, -1, -1), past, strict=True):
            items = _hold(meeting, cadre, grid_staff, rng, matters, agencies)
            overdue = overdue_left and age == 1
            counts["decisions"] += _decide(
                meeting, items, cadre, age=age, overdue=overdue, today=today, matters=matters
            )
            overdue_left = overdue_left and not overdue
            counts["held"] += 1
    linked = _link_case(villages, cadres, today)
    if stdout is not None:
        stdout.write(
            f"Meetings: {counts['series']} series, {counts['held']} meetings held, "
            f"{counts['decisions'] + int(linked)} decisions{' (one moving a case on)' if linked else ''}.\n"
        )


@transaction.atomic
def delete(*, district_code: str = DISTRICT_CODE) -> int:
    """Remove the meetings of the demo county (before its cases, which decisions keep); return how
    many meetings went."""
    places = Place.objects.filter(code__startswith=district_code)
    meetings = Meeting.objects.filter(village__in=places)
    Decision.objects.filter(meeting__in=meetings).delete()
    AgendaItem.objects.filter(meeting__in=meetings).delete()
    Attendance.objects.filter(meeting__in=meetings).delete()
    count, _ = meetings.delete()
    MeetingSeries.objects.filter(place__in=places).delete()
    return count
