"""The demo's task board (揭榜领办): matters in every state for the demo county, for the demo loader.

`load(stdout=None)` finds the demo county (琴湖市, 329881, made by `site.demo`) and its logins by
code and username, and writes through the board's services, each step by the login whose step it
is: the `town` operator and the `village` cadre (and the other villages' cadres, `vc<code>`)
publish; the `agency` login claims for its agency (城市管理局), the superuser `admin` claims for the
other demo agencies or records a claim for an enterprise or organisation; the claimant reports
progress with photos (small JPEGs drawn with Pillow) and completes; the village's cadre (the town for
a town-wide matter) verifies or returns it. Drafts, open matters (one past its deadline), claimed
ones with progress photos, completed ones waiting for the `village` login, verified and withdrawn
ones: every state is on the board, and the `agency`, `village` and `town` logins each have a matter
to act on. Timestamps are then spread back over the last weeks, so the record reads as it happened.

Deterministic for a given day; does nothing when the county is missing or its board already has
matters. `delete()` removes the demo county's matters (their photo files too).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from civicgrid.accounts.models import Agency, User
from civicgrid.governance import services_board
from civicgrid.governance.models import Matter, MatterPhoto, MatterUpdate
from civicgrid.governance.services_board import ClaimIn
from civicgrid.places.models import Place

# The demo county (`site.demo.DISTRICT_CODE`; this layer does not import the site).
DISTRICT_CODE = "329881"
PERSONA_TOWN = DISTRICT_CODE + "001"
PERSONA_VILLAGE = PERSONA_TOWN + "001"
PERSONA_AGENCY = "qinhu-urban-management"
SEED = 20261214


@dataclass(frozen=True)
class _Spec:
    title: str
    need: str
    budget: int | None
    # Where: a town code suffix ("001"), then a village index in it (None: town-wide) and a grid number.
    town: str
    village: int | None
    grid: int | None
    state: str
    # Who claims: an agency code, or (kind, name) recorded for a claimant without an account.
    claimant: str | tuple[str, str] = ""
    plan: str = ""
    progress: tuple[str, ...] = ()
    done: str = ""
    days_ago: int = 20
    deadline_days: int = 45
    withdrawn_reason: str = ""
    returned: str = ""


MATTERS = (
    _Spec("东门公厕无障碍改造", "东门公厕缺少无障碍扶手和坡道，轮椅无法进入。需加装扶手、改建坡道，并设置无障碍标识。",
          30000, "001", 0, 1, "verified", "qinhu-housing", "两周内完成：第一周加装扶手，第二周改建坡道。",
          ("扶手已全部安装。", "坡道浇筑完成，正在养护。"), "坡道养护完成，扶手、坡道和标识均已就位。", 40, 30),
    _Spec("老旧小区楼道灯更换", "明珠社区 3 栋老楼楼道灯损坏过半，夜间老人上下楼不便，需换成声控节能灯。",
          12000, "001", 0, None, "claimed", PERSONA_AGENCY, "一周内摸排损坏灯具，十天内全部更换为声控灯。",
          ("已摸排 3 栋楼共 46 盏灯，损坏 27 盏。", "1 栋、2 栋已更换完毕。"), "", 12, 20),
    _Spec("小区雨水管网疏通", "第 2 网格低洼处雨天积水，雨水管网淤堵，需在汛期前疏通。",
          45000, "001", 0, 2, "completed", "qinhu-water", "汛期前完成管网清淤和检查井修复。",
          ("清淤作业进行中，已完成主管 200 米。",), "主管和支管全部疏通，检查井盖更换 6 个。", 25, 10),
    _Spec("社区老年食堂适老化改造", "老年食堂地面湿滑、座椅过低，需铺防滑地面、更换适老座椅、加装扶手。",
          80000, "001", 0, None, "open", days_ago=6, deadline_days=60),
    _Spec("健身路径器材更新", "小区健身路径器材老化，部分存在安全隐患，需更换 8 件器材。",
          60000, "001", 0, 3, "draft", deadline_days=90),
    _Spec("背街小巷路面修补", "街道内 5 条背街小巷路面坑洼，雨天积水，需修补沥青路面约 1200 平方米。",
          150000, "001", None, None, "open", days_ago=50, deadline_days=30),
    _Spec("菜市场周边占道经营整治", "菜市场周边早市占道经营，堵塞消防通道，需规划临时摊位并设置引导标识。",
          None, "001", 1, None, "claimed", "qinhu-market", "联合社区划定便民摊区，一个月内完成引导和宣传。",
          ("便民摊区已划线，引导标识安装完成。",), "", 15, 25),
    _Spec("河道沿岸护栏修复", "河道沿岸护栏锈蚀断裂约 300 米，存在落水隐患。",
          90000, "001", 2, None, "withdrawn", days_ago=30, deadline_days=40,
          withdrawn_reason="已纳入市级河道整治工程统一实施，本事项撤回。"),
    _Spec("困难家庭房屋修缮", "辖区 4 户困难家庭房屋漏雨，需翻修屋面、更换门窗。",
          40000, "001", 3, None, "verified", ("organisation", "琴湖市慈善总会"),
          "慈善总会出资，联系施工队一个月内完成 4 户修缮。", ("前 2 户屋面翻修完成。",),
          "4 户全部修缮完成，已请住户签字确认。", 55, 20),
    _Spec("燃气管道老化排查", "老小区燃气立管老化，需逐户排查并更换存在隐患的管段。",
          None, "001", 4, None, "completed", "qinhu-gas", "两周内逐户入户排查，发现隐患当场更换。",
          ("已入户排查 120 户，更换管段 18 处。",), "全部 236 户排查完毕，更换管段 31 处。", 30, 15,
          returned="还有 3 户未入户，请补查后再报完成。"),
    _Spec("街道文化活动中心屋顶防水", "文化活动中心屋顶渗漏，需重做防水层约 600 平方米。",
          70000, "001", None, None, "draft", deadline_days=75),
    _Spec("垃圾分类投放点改造", "社区 6 处垃圾投放点无雨棚、无洗手池，需改造为标准投放亭。",
          50000, "002", 0, None, "claimed", ("enterprise", "琴湖绿源环保科技有限公司"),
          "企业出资建设 6 座标准投放亭，一个半月完成。", ("3 座投放亭基础已完工。",), "", 18, 35),
    _Spec("村内道路路灯安装", "村内主干道 1.5 公里无路灯，夜间出行不安全，需安装太阳能路灯约 40 盏。",
          120000, "101", 1, None, "claimed", "qinhu-power", "供电公司负责选型安装，三周内完成。",
          ("已完成路灯基础 20 个。", "首批 15 盏路灯已亮灯。"), "", 20, 25),
    _Spec("农村饮用水管网改造", "村内老旧供水管网漏损严重，部分农户水压不足，需更换主管约 2 公里。",
          300000, "100", 1, None, "verified", "qinhu-water-supply", "分两段施工，两个月内完成并通水。",
          ("第一段管网已铺设完成。", "第二段管网铺设完成，正在试压。"), "全部管网通水，农户水压正常。", 70, 30),
    _Spec("公交站台候车亭新建", "镇区 3 个公交站点无候车亭，雨天候车不便，需新建候车亭。",
          90000, "100", None, None, "open", days_ago=9, deadline_days=50),
    _Spec("农田灌溉渠清淤", "村东灌溉渠淤塞约 800 米，影响春灌，需清淤并修复渠堤。",
          35000, "101", 2, None, "open", days_ago=4, deadline_days=25),
)  # fmt: skip


def _say(stdout: TextIO | None, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def photo(rng: random.Random, width: int = 480, height: int = 360) -> bytes:
    """A small JPEG of a "site": sky, ground, a building and a railing, in colours drawn from `rng`."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    sky = (rng.randint(120, 190), rng.randint(170, 215), rng.randint(215, 250))
    ground = (rng.randint(90, 150), rng.randint(90, 140), rng.randint(70, 110))
    horizon = int(height * rng.uniform(0.5, 0.65))
    for y in range(horizon):
        shade = 1 - y / horizon * 0.25
        draw.line([(0, y), (width, y)], fill=tuple(int(c * shade) for c in sky))
    draw.rectangle([0, horizon, width, height], fill=ground)
    left = rng.randint(20, width // 2)
    top = horizon - rng.randint(80, 160)
    wall = (rng.randint(180, 235), rng.randint(170, 220), rng.randint(150, 200))
    draw.rectangle([left, top, left + rng.randint(120, 200), horizon], fill=wall, outline=(80, 80, 80))
    for x in range(left + 15, left + 110, 32):
        draw.rectangle([x, top + 20, x + 18, top + 44], fill=(90, 120, 150))
    rail = horizon + rng.randint(20, 50)
    draw.line([(0, rail), (width, rail)], fill=(230, 200, 40), width=6)
    for x in range(0, width, 40):
        draw.line([(x, rail), (x, rail + 30)], fill=(230, 200, 40), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _region(spec: _Spec) -> Place | None:
    town = Place.objects.filter(code=DISTRICT_CODE + spec.town, level=Place.Level.TOWN).first()
    if town is None or spec.village is None:
        return town
    villages = list(Place.objects.filter(parent=town, level=Place.Level.VILLAGE).order_by("code"))
    if spec.village >= len(villages):
        return None
    village = villages[spec.village]
    if spec.grid is None:
        return village
    return Place.objects.filter(parent=village, code=f"{village.code}{spec.grid:03d}").first() or village


class _People:
    """The demo logins, found by username; the superuser stands in for anyone missing."""

    def __init__(self) -> None:
        self.cache: dict[str, User | None] = {}
        self.admin = self.get("admin")
        if self.admin is None or not self.admin.is_superuser:
            self.admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()

    def get(self, username: str) -> User | None:
        if username not in self.cache:
            self.cache[username] = User.objects.filter(username=username, is_active=True).first()
        return self.cache[username]

    def publisher(self, region: Place, village: Place | None) -> User:
        if region.code.startswith(PERSONA_TOWN) and (village is None or village.code != PERSONA_VILLAGE):
            return self.get("town") or self.admin
        if village is not None and village.code == PERSONA_VILLAGE:
            return self.get("village") or self.admin
        if village is not None:
            return self.get(f"vc{village.code}") or self.admin
        return self.admin

    def verifier(self, matter: Matter) -> User:
        if matter.village is not None:
            if matter.village.code == PERSONA_VILLAGE:
                return self.get("village") or self.admin
            return self.get(f"vc{matter.village.code}") or self.admin
        town = self.get("town")
        if matter.town.code == PERSONA_TOWN and town is not None and matter.claimed_by_id != town.pk:
            return town
        return self.admin


def _claimant(people: _People, spec: _Spec, matter: Matter) -> tuple[User, ClaimIn]:
    if isinstance(spec.claimant, tuple):
        kind, name = spec.claimant
        recorder = people.get("town") if matter.town.code == PERSONA_TOWN else None
        return recorder or people.admin, ClaimIn(kind=kind, name=name)
    agency = Agency.objects.get(code=spec.claimant)
    if spec.claimant == PERSONA_AGENCY and people.get("agency") is not None:
        return people.get("agency"), ClaimIn()
    return people.admin, ClaimIn(agency=agency)


def _backdate(matter: Matter, spec: _Spec, now) -> None:
    """Spread the matter's steps over the `days_ago` days before now, in their order (the services
    stamp everything with the moment of the load)."""
    updates = list(MatterUpdate.objects.filter(matter=matter).order_by("at", "id"))
    start = now - timedelta(days=spec.days_ago, hours=3)
    span = timedelta(days=spec.days_ago) * 0.9
    stamps: dict[str, object] = {}
    for i, update in enumerate(updates):
        at = start + span * (i / max(len(updates) - 1, 1)) if len(updates) > 1 else start
        # Not on the hour: steps are taken when the work allows.
        at += timedelta(minutes=(matter.pk * 37 + i * 23) % 50)
        MatterUpdate.objects.filter(pk=update.pk).update(at=at)
        stamps.setdefault(update.kind, at)
        if update.kind in (MatterUpdate.Kind.COMPLETED, MatterUpdate.Kind.VERIFIED):
            stamps[update.kind] = at  # the last completion counts
    fields = {
        "published_at": stamps.get(MatterUpdate.Kind.PUBLISHED),
        "claimed_at": stamps.get(MatterUpdate.Kind.CLAIMED),
        "completed_at": stamps.get(MatterUpdate.Kind.COMPLETED) if matter.completed_at else None,
        "verified_at": stamps.get(MatterUpdate.Kind.VERIFIED),
    }
    values = {k: v for k, v in fields.items() if getattr(matter, k) is not None}
    created = now - timedelta(days=spec.days_ago + 2)
    Matter.objects.filter(pk=matter.pk).update(
        created_at=created, deadline=created.date() + timedelta(days=spec.deadline_days), **values
    )


def _build(spec: _Spec, people: _People, rng: random.Random) -> Matter | None:
    region = _region(spec)
    if region is None:
        return None
    town_village = services_board.region_columns(region)
    publisher = people.publisher(region, town_village[1])
    matter = services_board.matter_create(
        actor=publisher,
        title=spec.title,
        need=spec.need,
        budget=spec.budget,
        region=region,
        deadline=timezone.localdate() + timedelta(days=max(spec.deadline_days, 1)),
        publish=spec.state != Matter.State.DRAFT,
    )
    if spec.state in (Matter.State.DRAFT, Matter.State.OPEN):
        return matter
    if spec.state == Matter.State.WITHDRAWN:
        return services_board.matter_withdraw(matter=matter, actor=publisher, reason=spec.withdrawn_reason)
    claimer, claim = _claimant(people, spec, matter)
    matter = services_board.matter_claim(matter=matter, actor=claimer, plan=spec.plan, claim=claim)
    for text in spec.progress:
        shots = [photo(rng) for _n in range(rng.randint(1, 2))]
        matter = services_board.matter_progress(matter=matter, actor=claimer, text=text, photos=shots)
    if spec.state == Matter.State.CLAIMED:
        return matter
    if spec.returned:
        matter = services_board.matter_complete(matter=matter, actor=claimer, text="已全部完成。")
        matter = services_board.matter_return(
            matter=matter, actor=people.verifier(matter), reason=spec.returned
        )
    matter = services_board.matter_complete(matter=matter, actor=claimer, text=spec.done, photos=[photo(rng)])
    if spec.state == Matter.State.VERIFIED:
        matter = services_board.matter_verify(
            matter=matter, actor=people.verifier(matter), text="现场核验，符合要求，群众满意。"
        )
    return matter


def load(stdout: TextIO | None = None) -> None:
    """Write the demo county's task board (see the module's text), unless it is there already."""
    district = Place.objects.filter(code=DISTRICT_CODE, level=Place.Level.DISTRICT).first()
    if district is None:
        _say(stdout, "The demo county is not loaded: no task board written.\n")
        return
    if Matter.objects.filter(town__code__startswith=district.scope_prefix).exists():
        _say(stdout, "The demo task board is already loaded.\n")
        return
    people = _People()
    if people.admin is None:
        _say(stdout, "No superuser to act for the demo: no task board written.\n")
        return
    rng = random.Random(SEED)
    now = timezone.now()
    made: dict[str, int] = {}
    with transaction.atomic():
        for spec in MATTERS:
            matter = _build(spec, people, rng)
            if matter is None:
                continue
            assert matter.state == spec.state, (spec.title, matter.state)
            _backdate(matter, spec, now)
            made[spec.state] = made.get(spec.state, 0) + 1
    photos = MatterPhoto.objects.filter(update__matter__town__code__startswith=district.scope_prefix).count()
    summary = ", ".join(f"{state} {n}" for state, n in sorted(made.items()))
    _say(stdout, f"Task board: {sum(made.values())} matters ({summary}), {photos} progress photos.\n")


@transaction.atomic
def delete() -> int:
    """Remove the demo county's matters, their records and photo files; return how many went.

    Run it before the demo's places and accounts go (matters keep them); a pairing's support record
    that names a matter must go first (`SupportRecord.matter` protects it)."""
    matters = Matter.objects.filter(town__code__startswith=DISTRICT_CODE)
    for record in MatterPhoto.objects.filter(update__matter__in=matters):
        record.image.delete(save=False)
        record.thumbnail.delete(save=False)
    count = matters.count()
    matters.delete()
    return count
