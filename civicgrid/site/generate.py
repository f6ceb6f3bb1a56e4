"""Scale data: `manage.py generate_cases --count N` writes years of realistic cases onto the demo county.

Used by the benches (bench/bench_scale.py) and by anyone sizing a deployment. It runs on top of
`load_demo` (the county, its ~300 grids and their staff) and writes, in the order they were reported
(so ids grow with time):

- cases over `days` days ending now, more recent days busier, in daytime hours; each at a point inside
  its grid with the grid, village, town and district ids intake fills; categories weighted as a city's
  reports are (manhole covers, street lights, rubbish, street vending, noise …), sources mixed, some
  reporters signed in (a few thousand generated resident accounts), Chinese descriptions and addresses
  built from fragments (common words such as 井盖 and 路灯, and rare ones);
- each case walked through `workflow.TRANSITIONS` by the staff of its place: old cases are almost all
  closed, rejected or merged; the last weeks are spread over every open state. Deadlines, handler,
  lead and co-agencies, response/resolution/closing times, ratings and overdue flags follow the
  workflow's own rules (`outcome`), and every step is a CaseEvent (~7 per closed case);
- CasePhoto rows (report and result photos) pointing at one placeholder image under MEDIA_ROOT;
- the notifications the workflow would have sent (to the staff of the case's place, the lead agency's
  staff, a signed-in reporter), older ones read, recent ones mostly unread;
- TrackingCounter rows consistent with the numbers written, so a later intake continues after them.

It writes in bulk, bypassing the services: `executemany` in large transactions on SQLite (with
load-time PRAGMAs), COPY on PostgreSQL (psycopg 3), with ids assigned here. It refuses to run twice on
one database (generated accounts are the marker): generate into a fresh copy instead.
Everything is drawn from one seed, so a run with the same options and the same `now` is repeatable.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import random
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from civicgrid.accounts.models import Agency, RoleAssignment, User
from civicgrid.cases import counts, deadlines, figures, hotline_replies, notices, search
from civicgrid.cases.models import (
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    Holiday,
    HotlineCategoryMap,
    HotlineOrder,
    Notification,
    Satisfaction,
    TrackingCounter,
)
from civicgrid.cases.workflow import HANDLER_STATE, STATES, TRANSITIONS
from civicgrid.core.errors import ApplicationError
from civicgrid.core.roles import GRID_ROLES, Role
from civicgrid.places.models import Boundary, Place
from civicgrid.site import demo, generate_places

S = Case.State
# Generated accounts: their usernames start with this and their e-mail is in this domain.
GEN_PREFIX = "gen-"
GEN_EMAIL_DOMAIN = "gen.invalid"
# Every generated photo row points at these two files (written once under MEDIA_ROOT).
PLACEHOLDER_IMAGE = "cases/generated/placeholder.jpg"
PLACEHOLDER_THUMB = "cases/generated/placeholder-thumb.jpg"
PHOTO_SIZE = (480, 360)
DEFAULT_DAYS = 730
DEFAULT_BATCH = 20_000

# ---------------------------------------------------------------------------------------------
# What reports say

# Minor class code → relative weight of its reports (codes not listed weigh 1).
CATEGORY_WEIGHTS = {
    "C0101": 90, "C0102": 85, "C0301": 80, "E0101": 70, "E0401": 70, "E0104": 60, "E0402": 65,
    "E0201": 50, "E0403": 45, "C0201": 45, "E0102": 25, "C0401": 15, "E0302": 15, "E0301": 20,
    "C0302": 12, "C0202": 10, "C0203": 8, "C0204": 6, "C0103": 10, "C0105": 6, "E0601": 20,
    "E0602": 8, "E0604": 15, "E0605": 25, "E0606": 10, "E0404": 12, "E0303": 10, "E0105": 6,
    "E0103": 8, "E0202": 6, "C0402": 8, "C0502": 8, "C0303": 3, "E0603": 3, "C0601": 5,
    "C0104": 2, "C0501": 1, "E0501": 1, "E0502": 1, "E0503": 2, "E0504": 1,
}  # fmt: skip
# Minor class code → (what, what is wrong with it): a report names the thing and its problem.
SUBJECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "C0101": (("井盖", "窨井盖", "雨水井盖", "污水井盖"),
              ("缺失", "破损", "松动", "下沉", "移位", "缺了一角", "被压碎了", "有裂缝")),
    "C0102": (("路灯", "两盏路灯", "一排路灯", "庭院灯"),
              ("不亮", "连续三天不亮", "忽明忽暗", "白天也亮着", "灯杆歪斜", "灯罩掉了")),
    "C0103": (("供水管道", "自来水管", "消火栓"), ("破裂漏水", "爆管", "一直在渗水", "冒水")),
    "C0104": (("燃气管道", "燃气表箱"), ("有异味", "锈蚀严重", "被撞坏")),
    "C0105": (("配电箱", "电线杆", "电缆"), ("箱门损坏", "倾斜", "裸露在外")),
    "C0201": (("路面", "人行道", "道路"), ("有一个大坑", "坑洼不平", "塌陷开裂", "地砖松动翘起")),
    "C0202": (("交通标志", "路名牌", "限速牌"), ("被撞歪", "掉落", "褪色看不清")),
    "C0203": (("护栏", "隔离栏", "防撞栏"), ("被撞断", "倒了一片", "锈断")),
    "C0204": (("公交站亭", "候车亭"), ("玻璃碎了", "顶棚漏雨", "座椅损坏")),
    "C0301": (("垃圾箱", "垃圾桶", "分类垃圾桶"), ("已经满溢", "破损", "两天没人清运", "被挪走了")),
    "C0302": (("公厕", "公共厕所"), ("洗手池坏了", "冲水坏了", "门锁坏了", "一直漏水")),
    "C0303": (("无障碍坡道", "盲道"), ("被占用", "缺失", "损坏")),
    "C0401": (("行道树", "大树", "树枝"), ("倒在路边", "被风吹断", "压在电线上", "歪斜快倒了")),
    "C0402": (("绿地", "绿化带", "草坪"), ("被踩秃", "被挖开", "被改种蔬菜")),
    "C0502": (("违章搭建", "彩钢棚", "阳台外扩"), ("正在施工", "越搭越大", "占用公共空间")),
    "E0101": (("生活垃圾", "建筑垃圾", "大件垃圾"), ("堆放了好几天", "随意倾倒", "有异味")),
    "E0102": (("积水", "路口积水"), ("很深，行人无法通过", "淹到脚踝", "排不出去")),
    "E0103": (("河道漂浮物", "水面垃圾"), ("越来越多", "发臭")),
    "E0104": (("噪声", "广场舞音响", "装修噪声", "夜间施工噪声"), ("很大，影响休息", "扰民", "到深夜还不停")),
    "E0105": (("污水", "餐饮污水"), ("直排进河", "流到路面")),
    "E0201": (("小广告", "牛皮癣广告"), ("贴满了楼道", "贴在电线杆上", "喷涂在墙上")),
    "E0301": (("施工工地",), ("夜间作业扰民", "围挡不全")),
    "E0302": (("渣土车",), ("沿路撒漏", "车厢没有覆盖")),
    "E0303": (("工地",), ("扬尘很大", "没有洒水降尘")),
    "E0401": (("摊贩", "早市摊贩", "水果摊", "夜宵摊"), ("占道经营", "占用机动车道", "占用盲道")),
    "E0402": (("车辆", "电动车", "货车"), ("乱停乱放", "堵住消防通道", "占用人行道")),
    "E0403": (("共享单车",), ("堆放杂乱", "堵住出入口", "倒了一地")),
    "E0404": (("无证摊点", "流动商贩"), ("无证经营", "卖散装食品")),
    "E0601": (("邻里", "楼上住户"), ("漏水到楼下，协商未果", "因停车发生纠纷", "长期噪声扰邻")),
    "E0602": (("独居老人",), ("需要上门助餐服务", "行动不便需要帮助")),
    "E0604": (("电动车", "楼道杂物"), ("在楼道充电，存在火灾隐患", "堵塞安全通道")),
    "E0605": (("物业", "小区电梯"), ("长期不作为", "经常故障", "收费不透明")),
}  # fmt: skip
SPOTS = (
    "小区门口", "人行道上", "菜市场旁边", "学校门口", "公交站台旁", "十字路口", "河边步道", "村口",
    "桥头", "超市门口", "幼儿园对面", "健身广场边", "卫生院门口", "停车场出口", "老街巷子里", "楼栋前",
    "地铁口", "商业街", "农贸市场后面", "厂区外面",
)  # fmt: skip
CONSEQUENCES = (
    "晚上很危险", "老人小孩经过容易摔倒", "已经好几天了", "影响居民出行", "希望尽快处理", "请尽快派人看看",
    "多次反映没有解决", "周边居民意见很大", "存在安全隐患", "下雨天更严重",
)  # fmt: skip
# Rarer words a text search should find in few cases: facilities, shops, landmarks.
RARE_WORDS = (
    "消火栓", "化粪池", "雨水篦子", "盲道砖", "配电柜", "树池", "隔离墩", "减速带", "快递柜", "充电桩",
    "晾衣架", "花坛", "宣传栏", "信号灯", "排水沟", "埠头", "驳岸", "凉亭", "石拱桥", "祠堂", "篮球场",
    "社区食堂", "便民服务点", "水泵房", "变电箱", "景观灯", "健身器材", "岗亭", "报刊亭", "垃圾中转站",
)  # fmt: skip
SHOP_KINDS = ("面馆", "五金店", "水果店", "理发店", "便利店", "药房", "小吃店", "洗车店", "烟酒店", "早餐店")
ROADS = (
    "人民", "解放", "建设", "中山", "文化", "长江", "湖滨", "花园", "新华", "青年", "工业", "振兴", "友谊",
    "沿河", "环城", "东风", "胜利", "和平", "虞山", "琴川", "海虞", "枫泾", "梅李", "兴福",
)  # fmt: skip
ROAD_KINDS = ("路", "路", "街", "巷", "弄", "大道")
NOTES = {
    "accept": ("已到现场核实，情况属实", "现场核实属实，予以立案", "核实无误"),
    "reject": ("经核实为私人区域，不属于公共问题", "现场未发现所述问题", "不属于本平台受理范围"),
    "merge": ("与已受理案件为同一问题，合并处理",),
    "handle_in_grid": ("网格内自行处理", ""),
    "escalate_to_village": ("网格内无法解决，提请村里会商", "需村里协调，上报村委"),
    "handle_in_village": ("村两委会商后自行处置", ""),
    "escalate_to_town": ("需职能部门到场处置，提交镇指挥中心", "超出村级处置能力，上报镇街"),
    "dispatch": ("请尽快派员到场处置", "请按时限处置并反馈", ""),
    "sign": ("已签收，安排人员", ""),
    "return_dispatch": ("不属于本部门职责，退回重派",),
    "redispatch": ("改派主责部门",),
    "resolve": ("已完成处置，现场已恢复", "已处理完毕", "已维修完成，恢复正常"),
    "pass_check": ("现场核查合格", ""),
    "rework": ("现场核查未达标，退回重新处置",),
    "request_extension": ("需采购材料，申请延期",),
    "request_suspension": ("涉及改造工程，需纳入年度计划，申请挂账",),
    "approve_request": ("同意",),
    "refuse_request": ("请按原时限完成",),
    "resume": ("工程已立项，恢复处置",),
    "rate": ("处理及时，满意", "", "基本解决"),
    "comment": ("已电话联系报告人", "请加快处理进度", "已协调物业配合"),
}
SURNAMES = tuple(s for s, _en in demo._SURNAMES)
GIVEN_NAMES = demo._GIVEN_NAMES
MOBILE_PREFIXES = demo._MOBILE_PREFIXES

# Sources and their weights; the share of resident reports made by a signed-in account.
SOURCE_WEIGHTS = (
    (Case.Source.RESIDENT, 58),
    (Case.Source.MOBILE, 7),
    (Case.Source.PATROL, 18),
    (Case.Source.HOTLINE, 14),
    (Case.Source.LIAISON, 2),
    (Case.Source.DELIBERATION, 1),
)
# 12345 request types (诉求类型) of generated hotline orders, as a town's hotline receives them.
ORDER_KINDS = [
    HotlineOrder.Kind.HELP,
    HotlineOrder.Kind.COMPLAINT,
    HotlineOrder.Kind.CONSULTATION,
    HotlineOrder.Kind.REPORT,
    HotlineOrder.Kind.SUGGESTION,
]
ORDER_KIND_CUM = list(itertools.accumulate([40, 35, 15, 6, 4]))
SIGNED_IN_SHARE = 0.35
# Open cases: the target state by age (days since the report).
OPEN_BY_AGE = (
    (2 / 24, {S.REPORTED: 70, S.ACCEPTED: 18, S.GRID_HANDLING: 6, S.VILLAGE: 3, S.TOWN: 2, S.DISPATCHED: 1}),
    (1.0, {S.REPORTED: 35, S.ACCEPTED: 14, S.GRID_HANDLING: 14, S.VILLAGE: 8, S.TOWN: 8,
           S.DISPATCHED: 10, S.IN_PROGRESS: 6, S.CHECKING: 3, S.RESOLVED: 2}),
    (7.0, {S.REPORTED: 5, S.ACCEPTED: 5, S.GRID_HANDLING: 12, S.VILLAGE: 6, S.VILLAGE_HANDLING: 12,
           S.TOWN: 5, S.DISPATCHED: 8, S.IN_PROGRESS: 25, S.CHECKING: 7, S.RESOLVED: 15}),
    (math.inf, {S.GRID_HANDLING: 6, S.VILLAGE_HANDLING: 18, S.IN_PROGRESS: 50, S.SUSPENDED: 16,
                S.CHECKING: 4, S.RESOLVED: 6}),
)  # fmt: skip
OPEN_CUM = [(limit, list(w), list(itertools.accumulate(w.values()))) for limit, w in OPEN_BY_AGE]
# Routes to the end, by who handles the case (the 'grid' route also has a reopened variant).
ROUTES = {
    "grid": ("accept", "handle_in_grid", "resolve"),
    "village": ("accept", "escalate_to_village", "handle_in_village", "resolve", "pass_check"),
    "agency": (
        "accept",
        "escalate_to_village",
        "escalate_to_town",
        "dispatch",
        "sign",
        "resolve",
        "pass_check",
    ),
}
# How often each route is taken (an agency route without a default agency mostly goes to the village).
ROUTE_NAMES = ("grid", "village", "agency")
ROUTE_CUM_WEIGHTS = (40, 62, 100)
# Hours between one step and the next, by the action taken: (median, spread as a log-normal sigma);
# for "sign" and "resolve" the median is that share of the category's response or resolution time,
# so about 5 % of those steps run late, as about 1-3 % of the fixed-window steps do.
DELAYS = {
    "accept": (2.0, 1.0), "reject": (3.0, 1.0), "merge": (2.0, 1.0), "handle_in_grid": (1.0, 1.0),
    "escalate_to_village": (2.0, 1.0), "handle_in_village": (6.0, 1.0), "escalate_to_town": (8.0, 1.0),
    "dispatch": (1.0, 0.7), "redispatch": (1.0, 0.7), "return_dispatch": (3.0, 0.8), "sign": (0.3, 0.7),
    "resolve": (0.3, 0.7), "pass_check": (5.0, 0.7), "rework": (10.0, 0.8), "rate": (40.0, 0.9),
    "request_extension": (30.0, 0.8), "request_suspension": (48.0, 0.8), "approve_request": (3.0, 0.8),
    "refuse_request": (3.0, 0.8), "resume": (900.0, 0.6), "comment": (5.0, 1.2),
}  # fmt: skip
# Of the reporters who rate a resolved case: satisfied, basically satisfied (unsatisfied reopens).
RATINGS = ((Satisfaction.SATISFIED, 0.8), (Satisfaction.BASICALLY, 0.2))


# ---------------------------------------------------------------------------------------------
# Options, result and what is read from the database


@dataclass(frozen=True)
class GenerateOptions:
    count: int
    days: int = DEFAULT_DAYS
    seed: int = 1
    batch: int = DEFAULT_BATCH
    # The end of the window (default: now); tests pin it.
    now: datetime | None = None
    # Drop the tables' secondary (non-unique) indexes for the load and build them afterwards;
    # None: when loading 100,000 cases or more.
    rebuild_indexes: bool | None = None
    # About how many grids the city has when the cases are drawn: more than the demo's adds districts
    # beside its county first (`generate_places`); None: the demo's grids only.
    grids: int | None = None


@dataclass
class GenerateResult:
    cases: int = 0
    open_cases: int = 0
    events: int = 0
    notifications: int = 0
    photos: int = 0
    co_agencies: int = 0
    hotline_orders: int = 0
    accounts: int = 0
    seconds: float = 0.0
    first_id: int = 0
    last_id: int = 0
    # Seconds spent per part: drawing the rows in Python, writing them, and the finishing steps.
    timings: dict[str, float] = field(default_factory=dict)
    # The places added beside the demo county (`--grids`); all zero without.
    grown: generate_places.GrowResult = field(default_factory=generate_places.GrowResult)


def generated_exists() -> bool:
    return User.objects.filter(
        username__startswith=GEN_PREFIX, email__endswith="@" + GEN_EMAIL_DOMAIN
    ).exists()


def check_can_generate() -> None:
    """Refuse, with a message people can act on, when the demo is missing or generated cases exist."""
    if not demo.demo_exists():
        raise ApplicationError(
            _("The demo county is not loaded: run “manage.py load_demo” first, then generate the cases."),
            code="no_demo",
        )
    if generated_exists():
        raise ApplicationError(
            _(
                "Generated cases are already in this database (accounts named “%(prefix)s…”). Generate "
                "into a fresh database: migrate, load_demo, then generate_cases once."
            )
            % {"prefix": GEN_PREFIX},
            code="already_generated",
        )


@dataclass
class _Grid:
    id: int
    code: str
    name: str
    village_id: int
    town_id: int
    district_id: int
    village_name: str
    town_name: str
    community: bool
    roads: tuple[str, ...]
    # A pool of points inside the grid's boundary; each case takes one.
    points: np.ndarray


@dataclass
class _Category:
    id: int
    code: str
    name: str
    photo_required: bool
    is_urgent: bool
    response_hours: int
    urgent_response_hours: int
    resolution_hours: int | None
    resolution_workdays: int | None
    urgent_resolution_hours: int
    default_agency_id: int | None


class _Staff:
    """Who holds which role where (the notifying module's holders), read once."""

    def __init__(self) -> None:
        self.at: dict[tuple[str, int], list[int]] = defaultdict(list)
        self.agency: dict[int, list[int]] = defaultdict(list)
        self.grids: dict[int, list[int]] = {}

    def add(self, role: str, place_id: int | None, agency_id: int | None, user_id: int) -> None:
        if role == Role.AGENCY_STAFF and agency_id:
            self.agency[agency_id].append(user_id)
        elif place_id:
            self.at[(role, place_id)].append(user_id)
        self.grids.clear()

    def grid(self, grid_id: int) -> list[int]:
        found = self.grids.get(grid_id)
        if found is None:
            found = self.grids[grid_id] = sorted(
                {u for r in GRID_ROLES for u in self.at.get((r, grid_id), ())}
            )
        return found

    def role(self, role: str, place_id: int) -> list[int]:
        return self.at.get((role, place_id), [])


# ---------------------------------------------------------------------------------------------
# Time: whole seconds since the epoch (UTC), formatted as each database stores them


class _Clock:
    def __init__(self, now: datetime, days: int, vendor: str) -> None:
        self.tz = ZoneInfo(settings.TIME_ZONE) if settings.USE_TZ else UTC
        self.now = int(now.timestamp())
        self.first_day = timezone.localtime(now, self.tz).date() - timedelta(days=days - 1)
        # Date strings from a little before the window to a year after now (deadlines run ahead).
        self.base = (self.now - (days + 3) * 86400) // 86400
        span = days + 400
        epoch = date(1970, 1, 1)
        self.days = [(epoch + timedelta(days=self.base + i)).isoformat() for i in range(span)]
        self.hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        self.suffix = "+00" if vendor == "postgresql" else ""

    def fmt(self, ts: int | None) -> str | None:
        """Return a stored datetime: '2026-01-02 03:04:05' (SQLite, UTC) or with '+00' (PostgreSQL)."""
        if ts is None:
            return None
        day, second = divmod(ts, 86400)
        return f"{self.days[day - self.base]} {self.hms[second]}{self.suffix}"

    def iso(self, ts: int) -> str:
        return datetime.fromtimestamp(ts, self.tz).isoformat()

    def local_day(self, ts: int) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()

    def local_start(self, day: date) -> int:
        return int(datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp())


# ---------------------------------------------------------------------------------------------
# Writing rows in bulk


class _Writer:
    """Insert rows into one table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.written: dict[str, int] = defaultdict(int)
        self.seconds = 0.0

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        started = time.perf_counter()
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        if self.vendor == "postgresql":
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            connection.ensure_connection()
            connection.connection.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608
        self.written[table] += len(rows)
        self.seconds += time.perf_counter() - started


def _columns(model, known: Sequence[str]) -> tuple[list[str], tuple]:
    """Return the table's columns: `known` (attnames this module fills, in this order) then every other
    concrete column, filled with its field's default, so a field added later needs no change here."""
    fields = {f.attname: f for f in model._meta.local_concrete_fields if not getattr(f, "generated", False)}
    missing = [a for a in known if a not in fields]
    if missing:
        raise ApplicationError(
            f"generate_cases: {model.__name__} has no field {', '.join(missing)}; update civicgrid/site/generate.py",
            code="schema_changed",
        )
    extra = [f for a, f in fields.items() if a not in known]
    defaults = []
    for f in extra:
        value = f.get_default()
        if isinstance(value, dict | list):
            value = json.dumps(value)
        elif value is not None:
            value = f.get_db_prep_save(value, connection=connection)
        defaults.append(value)
    return [fields[a].column for a in known] + [f.column for f in extra], tuple(defaults)


# ---------------------------------------------------------------------------------------------
# The world the cases happen in


def _grids(rng: np.random.Generator, per_grid: int) -> list[_Grid]:
    boundaries = (
        Boundary.objects.filter(
            valid_to__isnull=True, place__level="grid", place__code__startswith=demo.CITY_CODE[:4]
        )
        .select_related("place__parent__parent")
        .order_by("place__code")
    )
    grids = []
    road_rng = random.Random(7)
    for b in boundaries:
        grid = b.place
        village = grid.parent
        town = village.parent if village else None
        if village is None or town is None or town.parent_id is None:
            continue
        polygon = shape(b.geometry)
        shapely.prepare(polygon)
        xmin, ymin, xmax, ymax = polygon.bounds
        found: list[np.ndarray] = []
        have = 0
        while have < per_grid:
            xs = rng.uniform(xmin, xmax, per_grid * 2)
            ys = rng.uniform(ymin, ymax, per_grid * 2)
            inside = shapely.contains_xy(polygon, xs, ys)
            chunk = np.column_stack((xs[inside], ys[inside]))
            found.append(chunk)
            have += len(chunk)
        points = np.round(np.concatenate(found)[:per_grid], 6)
        community = village.kind == Place.Kind.COMMUNITY
        roads = tuple(road_rng.choice(ROADS) + road_rng.choice(ROAD_KINDS) for _n in range(3))
        grids.append(
            _Grid(
                id=grid.pk,
                code=grid.code,
                name=grid.name,
                village_id=village.pk,
                town_id=town.pk,
                district_id=town.parent_id,
                village_name=village.name,
                town_name=town.name,
                community=community,
                roads=roads,
                points=points,
            )
        )
    return grids


def _categories() -> list[_Category]:
    rows = Category.objects.filter(parent__isnull=False, is_active=True).order_by("code")
    return [
        _Category(
            id=c.pk,
            code=c.code,
            name=c.name,
            photo_required=c.photo_required,
            is_urgent=c.is_urgent,
            response_hours=c.response_hours,
            urgent_response_hours=c.urgent_response_hours,
            resolution_hours=c.resolution_hours,
            resolution_workdays=c.resolution_workdays,
            urgent_resolution_hours=c.urgent_resolution_hours,
            default_agency_id=c.default_agency_id,
        )
        for c in rows
    ]


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _password() -> str:
    """Return the hash of the demo's password (a demo login's, when there is one: hashing is slow)."""
    return (
        User.objects.filter(username="resident", email__endswith="@" + demo.DEMO_EMAIL_DOMAIN)
        .values_list("password", flat=True)
        .first()
    ) or make_password(demo.DEMO_PASSWORD)


def _create_accounts(
    count: int, grids: list[_Grid], agencies: list[Agency], staff: _Staff, rng: random.Random
) -> tuple[dict[int, list[int]], dict[int, list[int]], int]:
    """Create the generated accounts in bulk; return residents by village, mobile members by
    district, how many.

    - residents (a few thousand at a million cases), each of a village or community, who report
      signed in and rate their cases;
    - a few mobile grid members of each district;
    - a town operator for each town without one, and a staff member for each active agency without
      staff, so every step has somebody to act and to be told.
    All share the demo's password (a demo login's hash when there is one).
    """
    password = _password()
    villages = sorted({g.village_id for g in grids})
    towns = sorted({g.town_id for g in grids})
    plan: list[tuple[str, str, int | None, int | None]] = []  # username, role, place, agency
    residents = max(20, min(20_000, count // 250))
    for n in range(residents):
        plan.append((f"{GEN_PREFIX}resident-{n + 1:05d}", Role.RESIDENT, villages[n % len(villages)], None))
    # Mobile grid members of each district: the demo county's first, named as before `--grids`.
    districts = sorted({(g.code[:6] != demo.DISTRICT_CODE, g.code[:6], g.district_id) for g in grids})
    for other, code, district_id in districts:
        name = f"{GEN_PREFIX}rider-{code}-" if other else f"{GEN_PREFIX}rider-"
        for n in range(max(3, min(50, count // 20_000))):
            plan.append((f"{name}{n + 1:03d}", Role.MOBILE_GRID_MEMBER, district_id, None))
    for town_id in towns:
        if not staff.role(Role.TOWN_OPERATOR, town_id):
            plan.append((f"{GEN_PREFIX}town-{town_id}", Role.TOWN_OPERATOR, town_id, None))
    for agency in agencies:
        if not staff.agency.get(agency.pk):
            plan.append((f"{GEN_PREFIX}agency-{agency.code}", Role.AGENCY_STAFF, None, agency.pk))
    users = User.objects.bulk_create(
        [
            User(
                username=username,
                display_name=_person_name(rng),
                password=password,
                email=f"{username}@{GEN_EMAIL_DOMAIN}",
            )
            for username, _role, _place, _agency in plan
        ],
        batch_size=2000,
    )
    if any(u.pk is None for u in users):
        ids = dict(User.objects.filter(username__startswith=GEN_PREFIX).values_list("username", "pk"))
        for u in users:
            u.pk = ids[u.username]
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user_id=u.pk, role=role, place_id=place, agency_id=agency)
            for u, (_name, role, place, agency) in zip(users, plan, strict=True)
        ],
        batch_size=2000,
    )
    by_village: dict[int, list[int]] = defaultdict(list)
    riders: dict[int, list[int]] = defaultdict(list)
    for u, (_name, role, place, agency) in zip(users, plan, strict=True):
        staff.add(role, place, agency, u.pk)
        if role == Role.RESIDENT:
            by_village[place].append(u.pk)
        elif role == Role.MOBILE_GRID_MEMBER:
            riders[place].append(u.pk)
    return by_village, riders, len(users)


def write_placeholder(media_root: Path | str | None = None) -> str:
    """Write the placeholder photo and thumbnail under MEDIA_ROOT (once); return the image's SHA-256."""
    from PIL import Image, ImageDraw

    root = Path(media_root or settings.MEDIA_ROOT)
    image_path = root / PLACEHOLDER_IMAGE
    thumb_path = root / PLACEHOLDER_THUMB
    if not image_path.is_file() or not thumb_path.is_file():
        image_path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGB", PHOTO_SIZE, (150, 160, 150))
        draw = ImageDraw.Draw(image)
        draw.rectangle((40, 40, PHOTO_SIZE[0] - 40, PHOTO_SIZE[1] - 40), outline=(90, 90, 90), width=6)
        draw.text((60, 60), "generated", fill=(255, 255, 255))
        image.save(image_path, "JPEG", quality=80)
        image.resize((240, 180)).save(thumb_path, "JPEG", quality=70)
    return hashlib.sha256(image_path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# The generator


class _Generator:
    """Draw every row from one seed and write them batch by batch."""

    def __init__(self, options: GenerateOptions, writer: _Writer, progress: Callable[[int], None]) -> None:
        self.o = options
        self.w = writer
        self.progress = progress
        self.rng = random.Random(options.seed)
        self.np_rng = np.random.default_rng(options.seed)
        # The orders' request types have their own stream, so the cases stay as they were without them.
        self.order_rng = random.Random(f"orders-{options.seed}")
        now = options.now or timezone.now()
        self.clock = _Clock(now, options.days, writer.vendor)
        self.now = self.clock.now
        self.result = GenerateResult()
        self.vendor = writer.vendor
        self.text_cache: dict[tuple, str] = {}
        self.params_cache: dict[tuple, str] = {}
        # Settings read once (each read of `settings` goes through a lazy object).
        self.windows = {
            "verify": settings.CASE_VERIFY_HOURS,
            "decide": settings.CASE_DECIDE_HOURS,
            "dispatch": settings.CASE_DISPATCH_HOURS,
            "check": settings.CASE_CHECK_HOURS,
        }
        self.rating_days = settings.CASE_RATING_DAYS

    # --- setup ----------------------------------------------------------------------------------

    def load(self) -> None:
        grown = self.result.grown
        if self.o.grids:
            grown = self.result.grown = generate_places.grow_city(
                grids=self.o.grids,
                seed=self.o.seed,
                password=_password(),
                prefix=GEN_PREFIX,
                email_domain=GEN_EMAIL_DOMAIN,
            )
        per_grid = int(min(5000, max(50, self.o.count // 100)))
        if grown.grids:
            # Many grids: a pool of about twice a grid's average number of cases (10,000 grids of 5,000
            # points would take gigabytes).
            per_grid = min(per_grid, max(50, 2 * self.o.count // grown.total_grids))
        self.grids = _grids(self.np_rng, per_grid)
        if not self.grids:
            raise ApplicationError(_("The demo county has no grids to put cases in."), code="no_grids")
        self.categories = _categories()
        self._agencies()
        self.staff = _Staff()
        for role, place_id, agency_id, user_id in RoleAssignment.objects.filter(
            is_active=True, user__is_active=True
        ).values_list("role", "place_id", "agency_id", "user_id"):
            self.staff.add(role, place_id, agency_id, user_id)
        self.residents, self.riders, accounts = _create_accounts(
            self.o.count, self.grids, self.agencies, self.staff, self.rng
        )
        self.result.accounts = grown.accounts + accounts
        # The demo's own resident reports too (on the first village's list, where its role is).
        for user_id, place_id in RoleAssignment.objects.filter(
            role=Role.RESIDENT, user__username="resident", is_active=True
        ).values_list("user_id", "place_id"):
            self.residents[place_id].append(user_id)
        # And the other mobile grid members: in their district, or in every one (a city's).
        districts = {g.code[:6]: g.district_id for g in self.grids}
        for user_id, code in RoleAssignment.objects.filter(
            role=Role.MOBILE_GRID_MEMBER, is_active=True
        ).values_list("user_id", "place__code"):
            district = districts.get((code or "")[:6])
            for district_id in [district] if district else sorted(set(districts.values())):
                if user_id not in self.riders[district_id]:
                    self.riders[district_id].append(user_id)
        self.holidays = dict(Holiday.objects.values_list("date", "is_workday"))
        weights = np.array(
            [(1.6 if g.community else 0.8) * self.np_rng.uniform(0.6, 1.4) for g in self.grids]
        )
        self.grid_p = weights / weights.sum()
        cat_w = np.array([CATEGORY_WEIGHTS.get(c.code, 1) for c in self.categories], dtype=float)
        self.cat_p = cat_w / cat_w.sum()
        self.photo_sha = write_placeholder()
        # A 12345 order's category as the hotline writes it: a path mapped to the case's category.
        self.hotline_paths: dict[int, str] = {}
        for category_id, path in (
            HotlineCategoryMap.objects.filter(category__isnull=False)
            .order_by("path_key")
            .values_list("category_id", "path")
        ):
            self.hotline_paths.setdefault(category_id, path)
        self._columns()

    def _agencies(self) -> None:
        """Read the agencies each district's cases may be dispatched to: those serving the district
        or the city, in code order; and, for a category's default agency serving another district,
        the one of the same kind here (the same code after the first dash: `…-urban-management`)."""
        district_ids = {g.district_id for g in self.grids}
        parents = dict(Place.objects.filter(pk__in=district_ids).values_list("pk", "parent_id"))
        ancestors = district_ids | set(parents.values())
        self.agencies = list(Agency.objects.filter(is_active=True, region_id__in=ancestors).order_by("code"))
        self.agency_ids = {
            d: [a.pk for a in self.agencies if a.region_id in (d, parents[d])] for d in sorted(district_ids)
        }
        if not all(self.agency_ids.values()):
            raise ApplicationError(
                _("The demo county has no active agency to dispatch to."), code="no_agency"
            )
        codes = {a.pk: a.code for a in self.agencies}
        defaults = {c.default_agency_id for c in self.categories if c.default_agency_id}
        codes.update(Agency.objects.filter(pk__in=defaults - set(codes)).values_list("pk", "code"))
        self.local_agency: dict[tuple[int, int], int] = {}
        for district_id, pool in self.agency_ids.items():
            kinds: dict[str, int] = {}
            for agency_id in pool:
                kinds.setdefault(codes[agency_id].partition("-")[2], agency_id)
            for default in defaults - set(pool):
                local = kinds.get(codes[default].partition("-")[2])
                if local is not None:
                    self.local_agency[(district_id, default)] = local

    def _columns(self) -> None:
        self.case_known = [
            "id", "tracking_number", "source", "category_id", "description", "address", "lon", "lat",
            "input_crs", "routed", "grid_id", "village_id", "town_id", "district_id", "reporter_id",
            "reporter_name", "reporter_phone", "is_public", "priority", "external_ref", "idempotency_key",
            "request_fingerprint", "state", "version", "handler", "lead_agency_id", "merged_into_id",
            "pending_request", "pending_until", "reopen_count", "step_due_at", "is_overdue",
            "due_notice_sent", "response_due_at", "resolution_due_at", "responded_at", "resolved_at",
            "closed_at", "solved", "satisfaction", "rated_at", "created_at", "updated_at",
        ]  # fmt: skip
        self.case_cols, self.case_extra = _columns(Case, self.case_known)
        self.event_cols, self.event_extra = _columns(
            CaseEvent,
            ["id", "case_id", "at", "actor_id", "actor_role", "action", "from_state", "to_state", "note",
             "data", "is_public", "note_is_reply"],
        )  # fmt: skip
        self.note_cols, self.note_extra = _columns(
            Notification,
            ["id", "user_id", "case_id", "kind", "text", "message", "params", "created_at", "read_at"],
        )
        self.photo_cols, self.photo_extra = _columns(
            CasePhoto,
            ["id", "case_id", "event_id", "kind", "image", "thumbnail", "width", "height", "content_type",
             "sha256", "uploaded_at"],
        )  # fmt: skip
        through = Case.co_agencies.through
        self.co_table = through._meta.db_table
        self.co_cols, self.co_extra = _columns(through, ["id", "case_id", "agency_id"])
        self.order_cols, self.order_extra = _columns(
            HotlineOrder,
            ["id", "case_id", "order_number", "kind", "category_path", "received_at", "due_at",
             "handling_unit", "address_text", "routed_by", "imported_at", "answered_at"],
        )  # fmt: skip

    def _next_ids(self) -> None:
        through = Case.co_agencies.through
        with connection.cursor() as cursor:
            ids = {}
            for name, model in (
                ("case", Case),
                ("event", CaseEvent),
                ("note", Notification),
                ("photo", CasePhoto),
                ("co", through),
                ("order", HotlineOrder),
            ):
                cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
                ids[name] = (cursor.fetchone()[0] or 0) + 1
        self.next_case = ids["case"]
        self.next_event = ids["event"]
        self.next_note = ids["note"]
        self.next_photo = ids["photo"]
        self.next_co = ids["co"]
        self.next_order = ids["order"]
        self.result.first_id = self.next_case

    # --- when cases are reported ----------------------------------------------------------------

    def report_times(self) -> np.ndarray:
        """Return `count` report times (epoch seconds, sorted): recent days busier, weekdays busier,
        daytime hours busier; none after now."""
        days = self.o.days
        index = np.arange(days)
        day_dates = [self.clock.first_day + timedelta(days=int(i)) for i in index]
        weights = 0.7 + 0.6 * index / max(1, days - 1)
        weights *= np.array([0.85 if d.weekday() >= 5 else 1.0 for d in day_dates])
        per_day = self.np_rng.multinomial(self.o.count, weights / weights.sum())
        hours = np.array(
            [
                0.2,
                0.1,
                0.1,
                0.1,
                0.2,
                0.4,
                1,
                2,
                3.5,
                4,
                4,
                3.5,
                3,
                3.2,
                3.5,
                3.5,
                3.2,
                3,
                2.5,
                2,
                1.6,
                1.2,
                0.8,
                0.4,
            ]
        )
        hours /= hours.sum()
        starts = np.array([self.clock.local_start(d) for d in day_dates], dtype=np.int64)
        day_of = np.repeat(np.arange(days), per_day)
        offsets = self.np_rng.choice(24, size=self.o.count, p=hours) * 3600 + self.np_rng.integers(
            0, 3600, size=self.o.count
        )
        times = starts[day_of] + offsets
        late = times > self.now
        if late.any():
            today = starts[-1]
            times[late] = self.np_rng.integers(today, max(today + 1, self.now), size=int(late.sum()))
        times.sort()
        return times

    # --- the text of a report ---------------------------------------------------------------------

    def describe(self, cat: _Category) -> str:
        rng = self.rng
        spot = rng.choice(SPOTS)
        subjects = SUBJECTS.get(cat.code)
        if subjects:
            text = f"{spot}{rng.choice(subjects[0])}{rng.choice(subjects[1])}"
        else:
            text = f"{spot}发现{cat.name}问题"
        roll = rng.random()
        if roll < 0.06:
            text += f"，就在{rng.choice(RARE_WORDS)}旁边"
        elif roll < 0.10:
            text += f"，位置在{rng.choice(SURNAMES)}记{rng.choice(SHOP_KINDS)}门口"
        return f"{text}，{rng.choice(CONSEQUENCES)}"

    def address(self, grid: _Grid) -> str:
        rng = self.rng
        if grid.community:
            place = f"{grid.village_name}{rng.choice(grid.roads)}{rng.randint(1, 300)}号"
            if rng.random() < 0.4:
                place += f"{rng.randint(1, 30)}幢"
        else:
            hamlet = grid.name.removesuffix("网格")
            place = f"{grid.village_name}{hamlet}{rng.randint(1, 120)}号"
        return f"{grid.town_name}{place}"

    # --- deadlines (workflow.step_due and deadlines.*, on epoch seconds) ---------------------------

    def add_workdays(self, start: int, days: int) -> int:
        local = datetime.fromtimestamp(start, self.clock.tz)
        day = local.date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if deadlines.is_workday(day, self.holidays):
                remaining -= 1
        return int(local.replace(year=day.year, month=day.month, day=day.day).timestamp())

    def response_due(self, cat: _Category, urgent: bool, start: int) -> int:
        return start + 3600 * (cat.urgent_response_hours if urgent else cat.response_hours)

    def resolution_due(self, cat: _Category, urgent: bool, start: int) -> int:
        if urgent:
            return start + 3600 * cat.urgent_resolution_hours
        if cat.resolution_workdays:
            return self.add_workdays(start, cat.resolution_workdays)
        return start + 3600 * (cat.resolution_hours or settings.CASE_DEFAULT_RESOLUTION_HOURS)

    def resolution_hours(self, cat: _Category, urgent: bool) -> float:
        """About how many hours the category gives to resolve (working days count 1.4 calendar days)."""
        if urgent:
            return cat.urgent_resolution_hours
        if cat.resolution_workdays:
            return cat.resolution_workdays * 24 * 1.4
        return cat.resolution_hours or settings.CASE_DEFAULT_RESOLUTION_HOURS

    def step_due(self, c: dict, state: str, urgent: bool, at: int) -> int | None:
        kind = STATES[state].deadline
        hours = self.windows.get(kind)
        if hours is not None:
            return at + 3600 * (min(hours, 2) if urgent else hours)
        if kind == "response":
            return c["response_due_at"]
        if kind == "resolution":
            return c["resolution_due_at"]
        if kind == "rating":
            return at + 86400 * self.rating_days
        return None

    # --- one case ---------------------------------------------------------------------------------

    def plan(self, age_days: float, cat: _Category, merge_ok: bool) -> tuple[list[str], str | None]:
        """Return the actions after the report and, for an open case, the state it stops in."""
        rng = self.rng
        p_open = 0.9 * math.exp(-age_days / 7) + 0.012 * math.exp(-age_days / 150)
        route = rng.choices(ROUTE_NAMES, cum_weights=ROUTE_CUM_WEIGHTS)[0]
        if route == "agency" and cat.default_agency_id is None and rng.random() < 0.7:
            route = "village"
        actions = list(ROUTES[route])
        if route == "agency":
            roll = rng.random()
            if roll < 0.05:
                actions[4:4] = ["return_dispatch", "dispatch"]
            elif roll < 0.08:
                actions[4:4] = ["redispatch"]
            roll = rng.random()
            at = actions.index("sign") + 1
            if roll < 0.05:
                actions[at:at] = ["request_extension", "approve_request"]
            elif roll < 0.07:
                actions[at:at] = ["request_extension", "refuse_request"]
            elif roll < 0.09:
                actions[at:at] = ["request_suspension", "approve_request", "resume"]
        if route != "grid" and rng.random() < 0.03:
            at = actions.index("pass_check")
            actions[at:at] = ["rework", "resolve"]
        if rng.random() < 0.05:
            actions.insert(rng.randint(1, len(actions)), "comment")
        if rng.random() >= p_open:
            roll = rng.random()
            if roll < 0.06:
                return ["reject"], None
            if roll < 0.10 and merge_ok:
                return ["merge"], None
            if route == "grid" and rng.random() < 0.03:
                actions += ["rate:unsatisfied", "resolve"]
            actions.append("rate" if rng.random() < 0.6 else "auto_close")
            return actions, None
        states, cum_weights = next((s, w) for limit, s, w in OPEN_CUM if age_days < limit)
        target = rng.choices(states, cum_weights=cum_weights)[0]
        if target == S.REPORTED:
            return [], S.REPORTED
        if target == S.SUSPENDED:
            at = actions.index("sign") + 1 if "sign" in actions else None
            if at is None:
                actions = list(ROUTES["agency"])
                at = actions.index("sign") + 1
            return [*actions[:at], "request_suspension", "approve_request"], S.SUSPENDED
        wanted = {
            S.ACCEPTED: ("accept",), S.GRID_HANDLING: ("handle_in_grid",), S.VILLAGE: ("escalate_to_village",),
            S.VILLAGE_HANDLING: ("handle_in_village",), S.TOWN: ("escalate_to_town",),
            S.DISPATCHED: ("dispatch", "redispatch"), S.IN_PROGRESS: ("sign", "request_extension"),
        }.get(target)  # fmt: skip
        if target in (S.CHECKING, S.RESOLVED):
            allowed = ("village", "agency") if target == S.CHECKING else ("grid", "village", "agency")
            if route not in allowed:
                actions = list(ROUTES[rng.choice(allowed)])
            # Checking: stop after the last resolve; resolved: the route's end.
            stop = (
                max(i for i, a in enumerate(actions) if a == "resolve") + 1
                if target == S.CHECKING
                else len(actions)
            )
            return actions[:stop], target
        for route_name in (route, "agency", "village", "grid"):
            path = actions if route_name == route else list(ROUTES[route_name])
            hits = [i for i, a in enumerate(path) if a in wanted]
            if hits:
                stop = hits[0] + 1
                if target == S.IN_PROGRESS and "request_extension" in path[stop:] and rng.random() < 0.3:
                    stop = path.index("request_extension") + 1
                return path[:stop], target
        return [], S.REPORTED

    def make_case(self, ts: int, grid: _Grid, cat: _Category) -> None:
        rng = self.rng
        clock = self.clock
        case_id = self.next_case
        self.next_case += 1
        day = clock.local_day(ts)
        number = self.counter[day] = self.counter.get(day, 0) + 1
        tracking = f"{day:%Y%m%d}-{number:04d}"
        source = rng.choices(self.sources, cum_weights=self.source_cum)[0]
        reporter = None
        actor = None
        reporter_name = ""
        reporter_phone = ""
        external_ref = ""
        priority = Case.Priority.URGENT if cat.is_urgent else Case.Priority.NORMAL
        village_staff = self.staff.role(Role.VILLAGE_CADRE, grid.village_id)
        town_staff = self.staff.role(Role.TOWN_OPERATOR, grid.town_id)
        grid_staff = self.staff.grid(grid.id)
        if source == Case.Source.RESIDENT:
            residents = self.residents.get(grid.village_id)
            if residents and rng.random() < SIGNED_IN_SHARE:
                reporter = rng.choice(residents)
            actor = reporter
            if rng.random() < 0.6:
                reporter_phone = _phone(rng)
        elif source == Case.Source.MOBILE and self.riders.get(grid.district_id):
            reporter = actor = rng.choice(self.riders[grid.district_id])
        elif source == Case.Source.MOBILE:
            source = Case.Source.RESIDENT
        else:
            if source == Case.Source.PATROL:
                actor = rng.choice(grid_staff) if grid_staff else None
            elif source == Case.Source.HOTLINE:
                actor = rng.choice(town_staff) if town_staff else None
                self.hotline_seq += 1
                external_ref = f"12345{day:%Y%m%d}{self.hotline_seq:07d}"
                reporter_name = _person_name(rng)
                reporter_phone = _phone(rng)
            else:
                actor = rng.choice(village_staff) if village_staff else None
            if priority == Case.Priority.NORMAL and rng.random() < 0.03:
                priority = Case.Priority.URGENT
        urgent = priority == Case.Priority.URGENT
        point = grid.points[rng.randrange(len(grid.points))]
        c: dict[str, Any] = {
            "response_due_at": None,
            "resolution_due_at": None,
            "responded_at": None,
            "resolved_at": None,
            "closed_at": None,
            "rated_at": None,
            "solved": None,
            "satisfaction": "",
            "handler": "",
            "lead_agency_id": None,
            "merged_into_id": None,
            "pending_request": "",
            "pending_until": None,
            "reopen_count": 0,
        }
        state = S.REPORTED
        step_due = self.step_due(c, state, urgent, ts)
        self.event(
            case_id,
            ts,
            actor,
            source,
            "report",
            "",
            state,
            "",
            '{"routed": true, "crs": "wgs84"}',
            True,
            False,
        )
        report_event = self.next_event - 1
        self.notify_step(case_id, tracking, state, grid, c, reporter, ts, exclude=None)
        photos = 0
        if source in (Case.Source.RESIDENT, Case.Source.MOBILE, Case.Source.PATROL) and (
            cat.photo_required or rng.random() < 0.4
        ):
            photos = 1 + (rng.random() < 0.25)
            for _n in range(photos):
                self.photo(case_id, report_event, "report", ts)

        age_days = (self.now - ts) / 86400
        recent = self.recent[grid.id]
        # A duplicate is merged into an earlier report of the same kind in the grid, still open then.
        merge_target = next(
            (
                r
                for r in reversed(recent)
                if r[2] == cat.id and ts - r[3] < 3 * 86400 and r[4] > ts + 2 * 86400
            ),
            None,
        )
        actions, target = self.plan(age_days, cat, merge_target is not None)
        if self.now - ts < 600:
            # Reported in the last minutes: nobody has looked at it yet.
            actions, target = [], S.REPORTED
        # Times of the steps: drawn, then squeezed into the time there is (an open case's steps all
        # happened before now; a resolved case waits at most the rating window).
        delays = []
        for action in actions:
            base = action.split(":")[0]
            if base == "auto_close":
                delays.append(settings.CASE_RATING_DAYS * 86400 + rng.randint(60, 900))
            else:
                median, sigma = DELAYS[base]
                if base == "sign":
                    median *= cat.urgent_response_hours if urgent else cat.response_hours
                elif base == "resolve":
                    median *= self.resolution_hours(cat, urgent)
                delays.append(max(60, int(3600 * median * math.exp(sigma * rng.gauss(0, 1)))))
        room = self.now - ts - 60
        total = sum(delays)
        if actions and actions[-1] == "auto_close" and total > room:
            actions[-1] = "rate"
            delays[-1] = max(60, int(3600 * 10 * math.exp(rng.gauss(0, 1))))
            total = sum(delays)
        if actions and total > room:
            squeeze = max(room, 60 * len(delays)) / total
            delays = [max(1, int(d * squeeze)) for d in delays]
        elif target == S.RESOLVED and total < room - 6 * 86400:
            # Resolved, waiting for a rating: resolved within the rating window.
            delays[-1] += room - total - rng.randint(3600, 6 * 86400)
        version = 0
        at = ts
        rated_by_reporter = reporter is not None and rng.random() < 0.7
        marked = False
        for i, raw_action in enumerate(actions):
            action, _sep, flavour = raw_action.partition(":")
            at_next = at + delays[i]
            # The sweep marks a step overdue (once) when its deadline passes before the next action.
            if (
                not marked
                and step_due is not None
                and STATES[state].overdue
                and step_due < min(at_next, self.now)
            ):
                swept = max(at, step_due) + rng.randint(60, 600)
                self.overdue(case_id, tracking, state, grid, c, min(at_next, self.now - 1, swept), step_due)
                marked = True
            at = min(at_next, self.now - 1)
            t = TRANSITIONS[(state, action)]
            kind = t.actors
            note = rng.choice(NOTES.get(action, ("",)))
            data = "{}"
            actor_id: int | None = None
            role = ""
            target_state = t.target or state
            reply = False
            if "grid" in kind:
                actor_id, role = (rng.choice(grid_staff) if grid_staff else None), "grid"
            elif "village" in kind and "town" not in kind:
                actor_id, role = (rng.choice(village_staff) if village_staff else None), "village"
            elif "town" in kind and "agency" not in kind:
                actor_id, role = (rng.choice(town_staff) if town_staff else None), "town"
            elif "agency" in kind:
                agency_staff = self.staff.agency.get(c["lead_agency_id"], [])
                actor_id, role = (rng.choice(agency_staff) if agency_staff else None), "agency"
            if action in ("dispatch", "redispatch"):
                agency_ids = self.agency_ids[grid.district_id]
                lead = self.local_agency.get((grid.district_id, cat.default_agency_id), cat.default_agency_id)
                lead = lead if lead in agency_ids else None
                if lead is None or action == "redispatch" or (c["lead_agency_id"] == lead):
                    lead = rng.choice([a for a in agency_ids if a != c["lead_agency_id"]] or agency_ids)
                co = []
                if rng.random() < 0.2:
                    others = [a for a in agency_ids if a != lead]
                    co = rng.sample(others, k=min(len(others), rng.choice((1, 1, 2))))
                c["lead_agency_id"] = lead
                data = json.dumps({"agency": lead, "co_agencies": co})
                self.co_rows(case_id, co, replace=True)
            elif action == "return_dispatch":
                data = json.dumps({"agency": c["lead_agency_id"]})
                c["lead_agency_id"] = None
            elif action == "merge":
                c["merged_into_id"], c["merged_number"] = merge_target[0], merge_target[1]
                data = json.dumps({"merged_into": merge_target[1]})
            elif action == "request_extension":
                until = at + rng.randint(3, 15) * 86400
                c["pending_request"], c["pending_until"] = Case.Request.EXTENSION, until
                data = json.dumps({"until": clock.iso(until)})
            elif action == "request_suspension":
                c["pending_request"], c["pending_until"] = Case.Request.SUSPENSION, None
            elif action == "approve_request":
                data = json.dumps({"request": c["pending_request"]})
                if c["pending_request"] == Case.Request.SUSPENSION:
                    target_state = S.SUSPENDED
                else:
                    c["resolution_due_at"] = c["pending_until"]
                c["pending_request"], c["pending_until"] = "", None
            elif action == "refuse_request":
                c["pending_request"], c["pending_until"] = "", None
            elif action == "rework":
                target_state = HANDLER_STATE.get(c["handler"], S.IN_PROGRESS)
            elif action == "rate":
                if rated_by_reporter:
                    actor_id, role = reporter, "reporter"
                else:
                    follow = town_staff + village_staff
                    actor_id, role = (rng.choice(follow) if follow else None), "follow_up"
                reopen = flavour == "unsatisfied"
                satisfaction = Satisfaction.UNSATISFIED if reopen else self.rating()
                solved = not reopen
                c.update(solved=solved, satisfaction=satisfaction, rated_at=at)
                data = json.dumps({"solved": solved, "satisfaction": satisfaction, "reopened": reopen})
                if reopen:
                    target_state = HANDLER_STATE.get(c["handler"], S.IN_PROGRESS)
                    c["reopen_count"] += 1
                    c["resolution_due_at"] = self.resolution_due(cat, urgent, at)
                    c["resolved_at"] = None
                    note = "问题没有解决"
                else:
                    target_state = S.CLOSED
            elif action == "auto_close":
                role = "system"
            elif action == "comment":
                actor_id, role = (
                    (rng.choice(town_staff + village_staff) if town_staff + village_staff else None),
                    ("viewer"),
                )
                reply = rng.random() < 0.3
            if t.handler:
                c["handler"] = t.handler
            if t.starts == "response":
                c["response_due_at"] = self.response_due(cat, urgent, at)
                c["responded_at"] = None
            if t.starts == "resolution":
                c["resolution_due_at"] = self.resolution_due(cat, urgent, at)
            if t.stops == "response":
                c["responded_at"] = at
            if t.stops == "resolution":
                c["resolved_at"] = at
            if target_state == S.CLOSED:
                c["closed_at"] = at
            if target_state != state and step_due is not None:
                # `workflow.outcome`: the deadline of the step the action ends, on the record.
                data = json.dumps({**json.loads(data), "due": clock.iso(step_due)})
            by_reporter = actor_id is not None and actor_id == reporter
            self.event(
                case_id, at, actor_id, role, action, state, target_state, note, data,
                t.public or by_reporter or reply, bool(note) and (t.reply or reply),
            )  # fmt: skip
            if action in ("resolve",) or (action == "pass_check" and rng.random() < 0.3):
                self.photo(case_id, self.next_event - 1, t.photo_kind, at)
            version += 1
            old_state = state
            # `workflow.outcome`: a new step, or a deadline that moved, gives the step its deadline anew.
            if target_state != state or t.starts or action == "approve_request":
                step_due = self.step_due(c, target_state, urgent, at)
                marked = False
            state = target_state
            self.notify_action(
                case_id, tracking, action, t, old_state, state, grid, c, reporter, at, actor_id, note
            )
        is_overdue = bool(
            step_due is not None
            and STATES[state].overdue
            and step_due < self.now
            and not STATES[state].terminal
        )
        if is_overdue and not marked:
            swept = max(at, step_due) + rng.randint(60, 600)
            self.overdue(case_id, tracking, state, grid, c, min(self.now - 1, swept), step_due)
        if STATES[state].terminal:
            step_due = None
        else:
            self.result.open_cases += 1
        if state != S.MERGED:
            recent.append((case_id, tracking, cat.id, ts, at if STATES[state].terminal else math.inf))
        fmt = clock.fmt
        values = {
            "id": case_id, "tracking_number": tracking, "source": source, "category_id": cat.id,
            "description": self.describe(cat), "address": self.address(grid),
            "lon": float(point[0]), "lat": float(point[1]), "input_crs": "wgs84", "routed": True,
            "grid_id": grid.id, "village_id": grid.village_id, "town_id": grid.town_id,
            "district_id": grid.district_id, "reporter_id": reporter, "reporter_name": reporter_name,
            "reporter_phone": reporter_phone, "is_public": rng.random() < 0.92, "priority": priority,
            "external_ref": external_ref, "idempotency_key": None, "request_fingerprint": "",
            "state": state, "version": version, "handler": c["handler"], "lead_agency_id": c["lead_agency_id"],
            "merged_into_id": c["merged_into_id"], "pending_request": c["pending_request"],
            "pending_until": fmt(c["pending_until"]), "reopen_count": c["reopen_count"],
            "step_due_at": fmt(step_due), "is_overdue": is_overdue, "due_notice_sent": False,
            "response_due_at": fmt(c["response_due_at"]), "resolution_due_at": fmt(c["resolution_due_at"]),
            "responded_at": fmt(c["responded_at"]), "resolved_at": fmt(c["resolved_at"]),
            "closed_at": fmt(c["closed_at"]), "solved": c["solved"], "satisfaction": c["satisfaction"],
            "rated_at": fmt(c["rated_at"]), "created_at": fmt(ts), "updated_at": fmt(at),
        }  # fmt: skip
        self.cases.append(tuple(values[k] for k in self.case_known) + self.case_extra)
        if source == Case.Source.HOTLINE:
            self.order(case_id, external_ref, cat, ts, at, state, c, values["address"])

    def order(self, case_id, number, cat, ts, at, state, c, address) -> None:
        """The 12345 work order beside a hotline case, as the import keeps it: the hotline's category
        path, received when the case was, its time limit the case's, routed by its point, and answered
        (`hotline_replies.answered_at`) when the case was resolved, closed, returned or merged."""
        answered = hotline_replies.answer_time(state, c["resolved_at"], c["closed_at"], at)
        fmt = self.clock.fmt
        kind = self.order_rng.choices(ORDER_KINDS, cum_weights=ORDER_KIND_CUM)[0]
        self.orders.append(
            (self.next_order, case_id, number, kind, self.hotline_paths.get(cat.id, ""), fmt(ts), fmt(c["resolution_due_at"]), "", address, "point", fmt(ts), fmt(answered), *self.order_extra)
        )  # fmt: skip
        self.next_order += 1

    def rating(self) -> str:
        return Satisfaction.SATISFIED if self.rng.random() < RATINGS[0][1] else Satisfaction.BASICALLY

    # --- the rows beside a case -------------------------------------------------------------------

    def event(
        self, case_id, at, actor, role, action, from_state, to_state, note, data, public, reply
    ) -> None:
        self.events.append(
            (self.next_event, case_id, self.clock.fmt(at), actor, role, action, from_state, to_state, note, data, public, reply, *self.event_extra)
        )  # fmt: skip
        self.next_event += 1

    def photo(self, case_id: int, event_id: int, kind: str, at: int) -> None:
        self.photos.append(
            (self.next_photo, case_id, event_id, kind, PLACEHOLDER_IMAGE, PLACEHOLDER_THUMB, PHOTO_SIZE[0], PHOTO_SIZE[1], "image/jpeg", self.photo_sha, self.clock.fmt(at), *self.photo_extra)
        )  # fmt: skip
        self.next_photo += 1

    def co_rows(self, case_id: int, agencies: list[int], *, replace: bool) -> None:
        while replace and self.co and self.co[-1][1] == case_id:
            self.co.pop()
        for agency_id in agencies:
            self.co.append((self.next_co, case_id, agency_id, *self.co_extra))
            self.next_co += 1

    def holders(self, holder: str, grid: _Grid, c: dict, reporter: int | None) -> list[int]:
        """`notifying.holders` on what was read at the start."""
        if holder == "grid":
            return self.staff.grid(grid.id)
        if holder == "village":
            return self.staff.role(Role.VILLAGE_CADRE, grid.village_id)
        if holder == "town":
            return self.staff.role(Role.TOWN_OPERATOR, grid.town_id)
        if holder == "district":
            return self.staff.role(Role.DISTRICT_ADMIN, grid.district_id)
        if holder == "agency":
            return self.staff.agency.get(c["lead_agency_id"], []) if c["lead_agency_id"] else []
        if holder == "reporter":
            return [reporter] if reporter else []
        return []

    def text(self, message: str, params: dict[str, Any], key: tuple) -> str:
        """Return the stored text of a notification, rendered once per message and values but the number."""
        template = self.text_cache.get(key)
        if template is None:
            template = notices.stored_text(message, {**params, "number": "\x00"})
            self.text_cache[key] = template
        return template.replace("\x00", params["number"])

    def notify(
        self, users: Iterable[int], case_id, kind, message, params: dict, at: int, exclude=None
    ) -> None:
        users = [u for u in dict.fromkeys(users) if u != exclude]
        if not users:
            return
        # Every caller puts the number first.
        key = (message, *list(params.items())[1:])
        text = self.text(message, params, key)
        # json.dumps(params), with the number first: the rest's JSON is the same for many notifications.
        rest = self.params_cache.get(key)
        if rest is None:
            rest = self.params_cache[key] = json.dumps({k: v for k, v in params.items() if k != "number"})[1:]
        stored = f'{{"number": "{params["number"]}"' + (", " + rest if rest != "}" else "}")
        age = self.now - at
        for user in users:
            if age > 3 * 86400:
                read = at + int(3600 * self.rng.uniform(0.05, 36)) if self.rng.random() < 0.97 else None
            else:
                read = (
                    at + int(min(age, 3600 * self.rng.uniform(0.05, 36)))
                    if self.rng.random() < 0.35
                    else None
                )
            if read is not None and read >= self.now:
                read = None
            self.notes.append(
                (
                    self.next_note,
                    user,
                    case_id,
                    kind,
                    text,
                    message,
                    stored,
                    self.clock.fmt(at),
                    self.clock.fmt(read),
                    *self.note_extra,
                )
            )
            self.next_note += 1

    def notify_step(self, case_id, tracking, state, grid, c, reporter, at, exclude) -> None:
        kind = Notification.Kind.NEW_WORK if state != S.RESOLVED else Notification.Kind.UPDATE
        users = self.holders(STATES[state].holder, grid, c, reporter)
        if STATES[state].holder == "grid" and not users:
            users = self.holders("village", grid, c, reporter) or self.holders("town", grid, c, reporter)
        self.notify(users, case_id, kind, notices.STEP, {"number": tracking, "state": state}, at, exclude)

    def notify_action(
        self, case_id, tracking, action, t, old_state, state, grid, c, reporter, at, actor, note
    ) -> None:
        """`notifying.notify_after`: whom the row names, then the holders of the new step."""
        for audience, name in t.notify:
            kind, message, params = {
                "returned": (Notification.Kind.RETURNED, notices.RETURNED, {"reason": note}),
                "requested": (
                    Notification.Kind.REQUEST,
                    notices.REQUESTED,
                    {"request": c["pending_request"]},
                ),
                "decided": (Notification.Kind.UPDATE, notices.DECIDED, {"decision": action}),
                "rated": (Notification.Kind.RATED, notices.RATED, {"satisfaction": c["satisfaction"]}),
                "merged": (Notification.Kind.UPDATE, notices.MERGED, {"other": ""}),
                "rejected": (Notification.Kind.UPDATE, notices.REJECTED, {"reason": note}),
            }[name]
            if name == "merged":
                params = {"other": c["merged_number"]}
            if audience == "handler":
                holder = STATES[HANDLER_STATE.get(c["handler"], S.IN_PROGRESS)].holder
                users = self.holders(holder, grid, c, reporter)
            else:
                users = self.holders(audience, grid, c, reporter)
            self.notify(users, case_id, kind, message, {"number": tracking, **params}, at)
        if t.notify_step and state != old_state and not STATES[state].terminal:
            self.notify_step(case_id, tracking, state, grid, c, reporter, at, exclude=actor)

    def overdue(self, case_id, tracking, state, grid, c, at, due) -> None:
        self.event(
            case_id,
            at,
            None,
            "system",
            "overdue",
            state,
            state,
            "",
            json.dumps({"due": self.clock.iso(due)}),
            False,
            False,
        )
        facts = STATES[state]
        supervisors = []
        if facts.supervisor == "village":
            supervisors = self.holders("village", grid, c, None) or self.holders("town", grid, c, None)
        elif facts.supervisor:
            supervisors = self.holders(facts.supervisor, grid, c, None)
        owners = self.holders(facts.holder, grid, c, None) if facts.holder != "reporter" else []
        self.notify(
            supervisors + owners, case_id, Notification.Kind.OVERDUE, notices.OVERDUE,
            {"number": tracking, "state": state}, at,
        )  # fmt: skip

    # --- the run ----------------------------------------------------------------------------------

    def run(self) -> GenerateResult:
        started = time.perf_counter()
        self._next_ids()
        times = self.report_times()
        grid_of = self.np_rng.choice(len(self.grids), size=self.o.count, p=self.grid_p)
        cat_of = self.np_rng.choice(len(self.categories), size=self.o.count, p=self.cat_p)
        self.sources = [s for s, _w in SOURCE_WEIGHTS]
        self.source_cum = list(np.cumsum([w for _s, w in SOURCE_WEIGHTS]))
        self.counter: dict[date, int] = {}
        existing = dict(TrackingCounter.objects.values_list("day", "last"))
        first_day = self.clock.local_day(int(times[0])) if len(times) else None
        self.counter.update({d: n for d, n in existing.items() if first_day and d >= first_day})
        self.hotline_seq = 0
        self.recent: dict[int, deque] = defaultdict(lambda: deque(maxlen=8))
        self.timings = {"draw": 0.0}
        for start in range(0, self.o.count, self.o.batch):
            drawn = time.perf_counter()
            self.cases: list[tuple] = []
            self.events: list[tuple] = []
            self.notes: list[tuple] = []
            self.photos: list[tuple] = []
            self.co: list[tuple] = []
            self.orders: list[tuple] = []
            end = min(self.o.count, start + self.o.batch)
            for i in range(start, end):
                grid = self.grids[grid_of[i]]
                self.make_case(int(times[i]), grid, self.categories[cat_of[i]])
            self.timings["draw"] += time.perf_counter() - drawn
            with transaction.atomic():
                self.w.insert(Case._meta.db_table, self.case_cols, self.cases)
                self.w.insert(CaseEvent._meta.db_table, self.event_cols, self.events)
                self.w.insert(Notification._meta.db_table, self.note_cols, self.notes)
                self.w.insert(CasePhoto._meta.db_table, self.photo_cols, self.photos)
                self.w.insert(self.co_table, self.co_cols, self.co)
                self.w.insert(HotlineOrder._meta.db_table, self.order_cols, self.orders)
            self.progress(end - start)
        self.timings["write"] = self.w.seconds
        self._counters()
        r = self.result
        r.cases = self.o.count
        r.last_id = self.next_case - 1
        r.events = self.w.written[CaseEvent._meta.db_table]
        r.notifications = self.w.written[Notification._meta.db_table]
        r.photos = self.w.written[CasePhoto._meta.db_table]
        r.co_agencies = self.w.written[self.co_table]
        r.hotline_orders = self.w.written[HotlineOrder._meta.db_table]
        r.seconds = time.perf_counter() - started
        return r

    def _counters(self) -> None:
        """Leave each day's counter at the last number given out, so intake continues after it."""
        existing = dict(TrackingCounter.objects.filter(day__in=list(self.counter)).values_list("day", "last"))
        update = [
            TrackingCounter(day=d, last=n)
            for d, n in self.counter.items()
            if d in existing and n > existing[d]
        ]
        for row in update:
            TrackingCounter.objects.filter(day=row.day).update(last=row.last)
        TrackingCounter.objects.bulk_create(
            [TrackingCounter(day=d, last=n) for d, n in sorted(self.counter.items()) if d not in existing],
            batch_size=2000,
        )


# ---------------------------------------------------------------------------------------------
# The database around a bulk load


class _LoadSettings:
    """Make the connection fast for a bulk load and put it back afterwards.

    SQLite: no fsync, a large page cache, foreign-key checks off (the rows are consistent by
    construction). PostgreSQL: no synchronous commit, and FK triggers off when the role may
    (`session_replication_role`, superusers). Only outside a transaction (a test's stays as it is).
    """

    def __init__(self) -> None:
        self.active = not connection.in_atomic_block

    def __enter__(self) -> _LoadSettings:
        if not self.active:
            return self
        connection.ensure_connection()
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for pragma in (
                    "synchronous=OFF",
                    "cache_size=-400000",
                    "temp_store=MEMORY",
                    "foreign_keys=OFF",
                ):
                    cursor.execute(f"PRAGMA {pragma}")
            elif connection.vendor == "postgresql":
                cursor.execute("SET synchronous_commit = off")
                # Not a superuser: the FK checks stay on, only slower.
                with contextlib.suppress(DatabaseError):
                    cursor.execute("SET session_replication_role = replica")
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.active:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for pragma in ("synchronous=NORMAL", "foreign_keys=ON", "cache_size=-2000"):
                    cursor.execute(f"PRAGMA {pragma}")
            elif connection.vendor == "postgresql":
                cursor.execute("RESET session_replication_role")
                cursor.execute("RESET synchronous_commit")


def _finish(result: GenerateResult) -> None:
    """Reset the id sequences past the rows written; on PostgreSQL, vacuum and analyse the tables
    (autovacuum would do it soon; a bench should not depend on when). SQLite is left without
    statistics (`ANALYZE`), as a deployment that never ran it is."""
    models = [
        Case,
        CaseEvent,
        Notification,
        CasePhoto,
        Case.co_agencies.through,
        HotlineOrder,
        TrackingCounter,
        User,
        RoleAssignment,
    ]
    if result.grown.grids:
        models += [Place, Boundary, Agency]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            for model in models:
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def generate_cases(
    options: GenerateOptions, *, progress: Callable[[int], None] | None = None
) -> GenerateResult:
    """Write `options.count` generated cases and everything beside them; see the module's docstring."""
    check_can_generate()
    if options.count < 1:
        raise ApplicationError(_("Give a number of cases of at least 1."), code="invalid")
    if options.days < 1:
        raise ApplicationError(_("Give a number of days of at least 1."), code="invalid")
    if options.grids is not None and not 1 <= options.grids <= generate_places.MAX_GRIDS:
        raise ApplicationError(
            _("Give a number of grids from 1 to %(max)d.") % {"max": generate_places.MAX_GRIDS},
            code="invalid",
        )
    writer = _Writer()
    generator = _Generator(options, writer, progress or (lambda n: None))
    rebuild = options.rebuild_indexes if options.rebuild_indexes is not None else options.count >= 100_000
    # Outside a transaction (a real load) the search index goes while the rows are written and is
    # built again once, far faster than row by row (after a failure: `case_search --rebuild`);
    # inside one (a test) it is kept as it goes.
    bulk = not connection.in_atomic_block
    with _LoadSettings():
        with transaction.atomic():
            generator.load()
        if bulk:
            search.drop()
        dropped = _drop_indexes() if rebuild else []
        try:
            result = generator.run()
        finally:
            finished = time.perf_counter()
            # Even after a failure: a half-loaded database keeps its indexes.
            _create_indexes(dropped)
        generator.timings["indexes"] = time.perf_counter() - finished
        finished = time.perf_counter()
        _finish(result)
    grown = {"places": generator.result.grown.seconds} if generator.result.grown.grids else {}
    timings = {**grown, **generator.timings, "finish": time.perf_counter() - finished}
    started = time.perf_counter()
    # The kept counts of every case, written ones included (`manage.py case_counts --repair`).
    counts.rebuild()
    timings["counts"] = time.perf_counter() - started
    # The kept figures, from the events (`manage.py case_figures --repair`).
    started = time.perf_counter()
    figures.rebuild()
    timings["figures"] = time.perf_counter() - started
    if bulk:
        started = time.perf_counter()
        search.rebuild()
        timings["search index"] = time.perf_counter() - started
    result.timings = timings
    return result


# The tables a load writes most rows to: their secondary indexes are built once, after the load.
BULK_TABLES = (Case, CaseEvent, Notification, CasePhoto, HotlineOrder)


def _drop_indexes() -> list[str]:
    """Drop the non-unique indexes of BULK_TABLES (whoever defined them); return how to create them again.

    Unique indexes and constraints stay: they still check what is written.
    """
    tables = [m._meta.db_table for m in BULK_TABLES]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) AND NOT i.indisunique "
                "AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [tables],
            )
        else:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                f"AND tbl_name IN ({marks}) AND sql NOT LIKE 'CREATE UNIQUE%%'",
                tables,
            )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {name if connection.vendor == 'postgresql' else quote(name)}")
    return [definition for _name, definition in found]


def _create_indexes(definitions: list[str]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and definitions:
            if connection.in_atomic_block:
                # PostgreSQL builds no index on a table with deferred checks pending: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            else:
                cursor.execute("SET maintenance_work_mem = '512MB'")
        for definition in definitions:
            cursor.execute(definition)
