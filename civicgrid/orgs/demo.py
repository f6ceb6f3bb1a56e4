"""The demo's organisation network (the women's federation "123456" of DOMAIN.md §3), for the demo loader.

`seed(city=, pilot_district=, people=)` writes, through the orgs, coverage, checklist and structure
services (the superuser among `people` acting, as an office would):

- the city's 5 other districts (one or two towns each, no boundaries) beside the pilot district;
- the four levels of federations: the city federation, 6 district federations, a federation for each
  of the pilot's towns (and of the other districts' towns) and for each of the pilot's villages and
  communities;
- the "three new" fields in the pilot district: 2 leading-enterprise federations (and 1 in another
  district, so "two per district" is short there), an internet-industry federation whose 42
  enterprises are targets (3 not yet covered), the 中山路商圈妇联 business-district federation with its
  buildings (gaps), an industrial-park federation, 7 social-organisation federations covering the 302
  women's social organisations (full coverage), enterprises in the villages covered by the village
  federations as fallback (gaps), new-employment groups; one target closed, one link ended, one
  target covered twice;
- women's homes under the village federations and micro-homes under them; organising-instructor
  teams under the town federations (3, 3, 2, 1, ... so "three per town" is met and short);
- people with posts, a "领头雁" chairwoman of the internet-industry federation who is also an
  executive member of a community federation (交叉任职), and the `federation` login as vice-chair of
  the pilot district federation (so it manages that subtree);
- the new organisations' "6个1" checklists in every state: open, overdue, done awaiting
  verification (done by the `federation` login), verified (by the superuser);
- the structure targets "两个龙头企业妇联" per district and "三支组建指导员队伍" per town.

Deterministic for a given day (seeded random; dates count back from today). `delete()` removes it all.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.orgs import access, checklists, coverage, services, structure
from civicgrid.orgs.models import (
    CoverageLink,
    CoverageSnapshot,
    Evidence,
    Organisation,
    OrgKind,
    Person,
    Position,
    StructureTarget,
    Target,
    Task,
    subtree,
)
from civicgrid.places.models import Place
from civicgrid.places.services import place_create

DEMO_SEED = 20261203
# The city federation carries this note: `delete` finds the demo network by it.
DEMO_NOTE = "演示网络（由演示加载器生成，重置演示时删除）"

# The city's other five districts: code suffix (after the city's first four digits), name, English
# name, and their towns (code suffix, name, English name, kind).
OTHER_DISTRICTS = (
    ("82", "思明区", "Siming District", (("001", "中华街道", "Zhonghua Subdistrict", "street"),)),
    (
        "83",
        "湖里区",
        "Huli District",
        (("001", "湖里街道", "Huli Subdistrict", "street"), ("100", "殿前镇", "Dianqian Town", "town")),
    ),
    ("84", "集美区", "Jimei District", (("001", "集美街道", "Jimei Subdistrict", "street"),)),
    (
        "85",
        "海沧区",
        "Haicang District",
        (("001", "海沧街道", "Haicang Subdistrict", "street"), ("100", "东孚镇", "Dongfu Town", "town")),
    ),
    ("86", "同安区", "Tong'an District", (("100", "大同镇", "Datong Town", "town"),)),
)
ADDED_PLACE_NAMES = [name for _s, name, _en, _t in OTHER_DISTRICTS] + [
    name for *_d, towns in OTHER_DISTRICTS for _c, name, _en, _k in towns
]
STRUCTURE_TARGETS = (
    # name, kind, leading only, level, required
    ("两个龙头企业妇联", OrgKind.ENTERPRISE_FEDERATION, True, "district", 2),
    ("三支组建指导员队伍", OrgKind.INSTRUCTOR_TEAM, False, "town", 3),
)
SOCIAL_FEDERATIONS = (
    "女性社会组织联合会",
    "巾帼志愿服务组织联合会",
    "家庭教育服务组织联合会",
    "妇女儿童关爱组织联合会",
    "女性创业就业服务组织联合会",
    "婚姻家庭调解组织联合会",
    "女性文体组织联合会",
)
SOCIAL_ORGS = 302
SOCIAL_STEMS = (
    "巾帼",
    "木兰",
    "玫瑰",
    "彩虹",
    "阳光",
    "向日葵",
    "暖心",
    "同心",
    "馨语",
    "春晖",
    "百合",
    "茉莉",
    "知音",
    "益家",
    "朝阳",
)
SOCIAL_KINDS = (
    "志愿服务队",
    "家庭教育指导中心",
    "妇女互助会",
    "亲子阅读会",
    "女性创业沙龙",
    "婚姻家庭服务站",
    "舞蹈队",
    "手工坊",
    "心理关爱社",
    "公益服务中心",
)
INTERNET_COMPANIES = 42
INTERNET_STEMS = (
    "云端",
    "数联",
    "星河",
    "智汇",
    "掌上",
    "极客",
    "蓝海",
    "易购",
    "飞鱼",
    "闪电",
    "万象",
    "天衡",
    "微光",
    "橙子",
)
INTERNET_KINDS = ("网络科技有限公司", "信息技术有限公司", "电子商务有限公司")
BUILDINGS = ("中山大厦", "华联商厦", "侨福大楼", "百货大楼", "世贸中心", "金融大厦", "鹭江大厦", "商贸城")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈"
GIVEN = ("秀英", "桂兰", "玉梅", "丽华", "丽娟", "海燕", "红霞", "春花", "淑珍", "晓燕", "文静", "慧敏")
GIVEN += ("雪梅", "美玲", "丽萍", "艳芳", "小红", "佳怡", "婷婷", "雅琴", "素芬", "金凤", "月娥", "巧玲")
# The smallest PDF `evidence.attach` accepts: the evidence of the demo's checklist items.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@dataclass
class _Seed:
    actor: User
    today: date
    rng: random.Random
    counts: dict[str, int] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def org(self, parent, name, kind, region, *, founded_days=2000, checklist=False, **extra) -> Organisation:
        org = services.org_create(
            actor=self.actor,
            parent=parent,
            name=name,
            kind=kind,
            region=region,
            founded_on=self.ago(founded_days),
            checklist=checklist,
            audited=False,
            **extra,
        )
        self.add("organisations")
        return org

    def person(self, org: Organisation, role: str, *, name: str = "", since_days: int = 900) -> Person:
        while not name or name in self.names:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        self.names.add(name)
        phone = ""
        while not phone or phone in self.phones:
            phone = f"139{self.rng.randrange(10**8):08d}"
        self.phones.add(phone)
        person = services.person_create(actor=self.actor, organisation=org, name=name, phone=phone)
        self.appoint(person, org, role, since_days=since_days)
        self.add("people")
        return person

    def appoint(self, person: Person, org: Organisation, role: str, *, since_days: int = 900) -> Position:
        self.add("positions")
        return services.position_appoint(
            actor=self.actor, person=person, organisation=org, role=role, term_start=self.ago(since_days)
        )

    def target(self, name, category, region, *, since_days=1500, closed_days=None, size=None) -> Target:
        target = coverage.target_create(
            actor=self.actor,
            name=name,
            category=category,
            region=region,
            active_from=self.ago(since_days),
            active_to=self.ago(closed_days) if closed_days else None,
            size=size,
        )
        self.add("targets")
        return target

    def link(self, target, org, mode, kind="org", *, since_days=200, ended_days=None) -> CoverageLink:
        self.add("links")
        return coverage.link_create(
            actor=self.actor,
            target=target,
            organisation=org,
            mode=mode,
            kind=kind,
            valid_from=self.ago(since_days),
            valid_to=self.ago(ended_days) if ended_days else None,
        )


def _actor(people: dict[str, User]) -> User | None:
    """The superuser who acts: the demo's `admin`, else any superuser among `people` or on record."""
    actor = people.get("admin")
    if actor is not None and actor.is_superuser:
        return actor
    found = next((u for u in people.values() if u.is_superuser), None)
    return found or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def added_place_codes(city_code: str) -> list[str]:
    """The codes of the districts and towns `seed` adds to the city of `city_code`."""
    codes = []
    for suffix, _name, _en, towns in OTHER_DISTRICTS:
        district = city_code[:4] + suffix
        codes += [district] + [district + t_code for t_code, *_rest in towns]
    return codes


@transaction.atomic
def seed(*, city: Place, pilot_district: Place, people: dict[str, User]) -> dict[str, int]:
    """Write the demo network (see the module's text); return counts of what was written.

    Without a superuser to act (the demo's `admin` taken by someone else and none on record), it
    writes nothing and returns {}.
    """
    actor = _actor(people)
    if actor is None:
        return {}
    s = _Seed(actor=actor, today=timezone.localdate(), rng=random.Random(DEMO_SEED))

    # --- The city's other districts --------------------------------------------------------------
    others: list[tuple[Place, list[Place]]] = []
    for suffix, name, name_en, towns in OTHER_DISTRICTS:
        district = place_create(
            code=city.code[:4] + suffix,
            name=name,
            name_en=name_en,
            level="district",
            parent=city,
            audited=False,
        )
        made = [
            place_create(
                code=district.code + t_code,
                name=t_name,
                name_en=t_en,
                level="town",
                kind=t_kind,
                parent=district,
                audited=False,
            )
            for t_code, t_name, t_en, t_kind in towns
        ]
        others.append((district, made))
    s.add("districts_added", len(others))

    # --- The four levels of federations ----------------------------------------------------------
    city_fed = s.org(
        None, f"{city.name}妇联", OrgKind.CITY_FEDERATION, city, founded_days=12000, note=DEMO_NOTE
    )
    s.person(city_fed, "chair")
    s.person(city_fed, "vice_chair")
    pilot_fed = s.org(city_fed, f"{pilot_district.name}妇联", OrgKind.DISTRICT_FEDERATION, pilot_district)
    s.person(pilot_fed, "chair")
    s.person(pilot_fed, "executive")
    s.person(pilot_fed, "executive")
    other_feds: list[tuple[Organisation, list[Organisation]]] = []
    for district, towns in others:
        fed = s.org(city_fed, f"{district.name}妇联", OrgKind.DISTRICT_FEDERATION, district)
        s.person(fed, "chair")
        town_feds = [s.org(fed, f"{t.name}妇联", OrgKind.TOWN_FEDERATION, t) for t in towns]
        for town_fed in town_feds:
            s.person(town_fed, "chair")
        other_feds.append((fed, town_feds))

    # The `federation` login: vice-chair of the pilot district federation.
    federation_user = people.get("federation")
    if federation_user is not None:
        person = services.person_create(
            actor=s.actor,
            organisation=pilot_fed,
            name=federation_user.display_name or federation_user.username,
            phone=federation_user.phone or "",
        )
        services.person_link_user(actor=s.actor, person=person, user=federation_user)
        s.appoint(person, pilot_fed, "vice_chair", since_days=700)
        s.add("people")
        access.forget(federation_user)

    pilot_towns = list(Place.objects.filter(parent=pilot_district, level="town").order_by("code"))
    town_feds: dict[int, Organisation] = {}
    village_feds: dict[int, Organisation] = {}
    villages_of: dict[int, list[Place]] = {}
    for town in pilot_towns:
        town_feds[town.pk] = s.org(pilot_fed, f"{town.name}妇联", OrgKind.TOWN_FEDERATION, town)
        s.person(town_feds[town.pk], "chair")
        villages_of[town.pk] = list(Place.objects.filter(parent=town, level="village").order_by("code"))
        for village in villages_of[town.pk]:
            village_feds[village.pk] = s.org(
                town_feds[town.pk], f"{village.name}妇联", OrgKind.VILLAGE_FEDERATION, village
            )
            s.person(village_feds[village.pk], "chair")
    villages = [v for town in pilot_towns for v in villages_of[town.pk]]
    first_town = pilot_towns[0]

    # --- New organisations, each with its "6个1" checklist ---------------------------------------
    new_orgs: list[Organisation] = []

    def new(parent, name, kind, region, founded_days, **extra) -> Organisation:
        org = s.org(parent, name, kind, region, founded_days=founded_days, checklist=True, **extra)
        new_orgs.append(org)
        return org

    leading = [
        new(
            pilot_fed,
            f"{pilot_district.name}{stem}妇联",
            OrgKind.ENTERPRISE_FEDERATION,
            town,
            days,
            leading=True,
        )
        for stem, town, days in (
            ("鹭岛纺织集团", pilot_towns[-1], 140),
            ("海湾食品股份公司", pilot_towns[min(1, len(pilot_towns) - 1)], 75),
        )
    ]
    for org in leading:
        s.person(org, "chair", since_days=70)
    other_fed = other_feds[0][0]
    other_leading = s.org(
        other_fed,
        f"{others[0][0].name}万达实业妇联",
        OrgKind.ENTERPRISE_FEDERATION,
        others[0][1][0],
        founded_days=400,
        leading=True,
    )
    s.person(other_leading, "chair")

    internet = new(pilot_fed, "互联网行业妇联", OrgKind.INDUSTRY_FEDERATION, pilot_district, 110)
    # The "领头雁": chair of the new industry federation, executive member of a community federation.
    first_community = village_feds[villages[0].pk]
    lead_goose = s.person(internet, "chair", name="林晓燕", since_days=100)
    s.appoint(lead_goose, first_community, "executive", since_days=800)
    s.person(internet, "vice_chair", since_days=100)
    business = new(
        town_feds[first_town.pk], "中山路商圈妇联", OrgKind.BUSINESS_DISTRICT_FEDERATION, first_town, 95
    )
    business_chair = s.person(business, "chair", since_days=90)
    s.appoint(business_chair, village_feds[villages_of[first_town.pk][-1].pk], "vice_chair", since_days=600)
    park = new(pilot_fed, f"{pilot_towns[-1].name}工业园区妇联", OrgKind.PARK_FEDERATION, pilot_towns[-1], 20)
    s.person(park, "chair", since_days=20)
    social_feds = []
    for n, name in enumerate(SOCIAL_FEDERATIONS):
        social_feds.append(
            new(
                pilot_fed,
                f"{pilot_district.name}{name}",
                OrgKind.SOCIAL_ORG_FEDERATION,
                pilot_district,
                60 + 25 * n,
            )
        )
        s.person(social_feds[-1], "chair", since_days=60)

    # Women's homes under the village federations, micro-homes under them.
    for i, village in enumerate(villages):
        home = s.org(
            village_feds[village.pk],
            f"{village.name}妇女之家",
            OrgKind.WOMENS_HOME,
            village,
            founded_days=1200 - 20 * i,
        )
        for m in range(i % 3):
            micro = new(
                home, f"{village.name}妇女微家{m + 1}", OrgKind.MICRO_HOME, village, 30 + 45 * ((i + m) % 4)
            )
            s.person(micro, "chair", since_days=25)
    # Organising-instructor teams: 3, 3, 2, 1, 3, ... per pilot town.
    for i, town in enumerate(pilot_towns):
        for n in range((3, 3, 2, 1)[i % 4]):
            team = s.org(
                town_feds[town.pk], f"{town.name}组建指导员第{n + 1}队", OrgKind.INSTRUCTOR_TEAM, town
            )
            s.person(team, "instructor")
            s.person(team, "instructor")
    s.add("new_organisations", len(new_orgs))

    # --- Coverage --------------------------------------------------------------------------------
    for n in range(SOCIAL_ORGS):
        village = villages[n % len(villages)]
        name = f"{village.name[:2]}{SOCIAL_STEMS[n % len(SOCIAL_STEMS)]}{SOCIAL_KINDS[n % len(SOCIAL_KINDS)]}"
        if n >= len(SOCIAL_STEMS) * len(SOCIAL_KINDS) // 5:
            name += f"{n + 1}号"
        target = s.target(name, "social_org", village, since_days=900 - n, size=s.rng.randint(8, 60))
        fed = social_feds[n % len(social_feds)]
        s.link(target, fed, "industry", since_days=240 - (n % 200))
        if n % 4 == 0:
            s.link(target, fed, "industry", "activity", since_days=100)
    for n in range(INTERNET_COMPANIES):
        town = pilot_towns[n % len(pilot_towns)]
        name = f"{INTERNET_STEMS[n % len(INTERNET_STEMS)]}{INTERNET_KINDS[n % len(INTERNET_KINDS)]}"
        if n >= len(INTERNET_STEMS):
            name = f"{town.name[:2]}{name}"
        target = s.target(name, "enterprise", town, since_days=1500 - 20 * n, size=s.rng.randint(15, 400))
        if n < INTERNET_COMPANIES - 3:  # three not yet covered
            s.link(target, internet, "industry", since_days=100 - n)
            if n % 3 == 0:
                s.link(target, internet, "industry", "work", since_days=80)
    zhongshan = s.target("中山路商圈", "business_district", first_town, since_days=3000)
    s.link(zhongshan, business, "own", since_days=90)
    s.link(zhongshan, business, "own", "activity", since_days=60)
    for n, name in enumerate(BUILDINGS):
        building = s.target(name, "building", first_town, since_days=2500, size=s.rng.randint(30, 300))
        if n % 3 != 2:
            s.link(building, business, "area", since_days=85)
    for n, town in enumerate(pilot_towns[-2:]):
        park_target = s.target(f"{town.name[:2]}工业园区", "park", town, since_days=2000)
        if n == len(pilot_towns[-2:]) - 1:
            s.link(park_target, park, "own", since_days=15)
    # Enterprises in the villages: the village federations cover some as fallback; the leading
    # enterprises are covered by their own federations.
    for org, name in zip(leading, ("鹭岛纺织集团", "海湾食品股份公司"), strict=True):
        target = s.target(name, "enterprise", org.region, since_days=4000, size=1200)
        s.link(target, org, "own", since_days=120)
    for i, village in enumerate(villages):
        for n in range(4):
            target = s.target(
                f"{village.name[:2]}{('五金', '服装', '电子', '食品')[n]}厂",
                "enterprise",
                village,
                since_days=1000 + 50 * n,
                size=s.rng.randint(10, 150),
            )
            if (i + n) % 5 < 3:
                s.link(target, village_feds[village.pk], "fallback", since_days=150 + 10 * n)
            if (i + n) % 4 == 0:
                s.link(target, village_feds[village.pk], "fallback", "work", since_days=120)
    for n, town in enumerate(pilot_towns):
        for stem in ("快递员", "网约车司机"):
            target = s.target(f"{town.name}{stem}群体", "new_employment", town, since_days=700)
            if n % 2 == 0:
                s.link(target, town_feds[town.pk], "area", "work", since_days=60)
    for district, towns in others:
        fed = next(f for f, _t in other_feds if f.region_id == district.pk)
        for n, town in enumerate(towns):
            for m in range(3):
                target = s.target(
                    f"{town.name[:2]}{('商贸', '物流', '建材')[m]}公司", "enterprise", town, since_days=900
                )
                if m < 2 - n % 2:
                    s.link(target, fed, "area", since_days=200)
    # The rules the issue names, on display: a target that closed (its link no longer counts), a
    # link that ended, a target covered twice (counted once).
    closed = s.target(
        f"{first_town.name[:2]}老街服装厂", "enterprise", first_town, since_days=3000, closed_days=40
    )
    s.link(closed, town_feds[first_town.pk], "area", since_days=400, ended_days=40)
    ended = s.target(f"{first_town.name[:2]}共享办公空间", "building", first_town, since_days=800)
    s.link(ended, business, "area", since_days=300, ended_days=30)
    twice = s.target(f"{first_town.name[:2]}巾帼家政服务社", "social_org", villages[0], since_days=600)
    s.link(twice, social_feds[0], "industry", since_days=200)
    s.link(twice, first_community, "fallback", since_days=150)
    # Six months of snapshots: the dashboard's line climbs to full coverage of social organisations.
    month = s.today.replace(day=1)
    for _n in range(6):
        month = (month - timedelta(days=1)).replace(day=1)
        coverage.snapshot_month(month)
    s.add("snapshot_months", 6)

    # --- Checklists in every state -------------------------------------------------------------------
    done_by = federation_user if federation_user is not None else s.actor
    tasks = list(
        Task.objects.filter(organisation__in=new_orgs)
        .select_related("item")
        .order_by("organisation_id", "item__position")
    )
    by_org: dict[int, list[Task]] = {}
    for task in tasks:
        by_org.setdefault(task.organisation_id, []).append(task)
    for org in new_orgs:
        founded = (s.today - org.founded_on).days if org.founded_on else 0
        for task in by_org.get(org.pk, []):
            # Items whose due date passed long ago are mostly verified; some recent ones are done
            # and wait for verification; the rest stay open (overdue once their due date passed).
            age = founded - task.item.due_days
            roll = (org.pk * 7 + task.item.position) % 10
            if (age > 30 and roll < 7) or (age > 0 and roll < 3):
                _task_done(task, done_by, s)
                if age > 20 and roll < 6 and done_by.pk != s.actor.pk:
                    checklists.task_verify(actor=s.actor, task=task)
                    s.add("tasks_verified")
            elif age > -10 and roll < 6:
                _task_done(task, done_by, s)

    # --- Structure targets -------------------------------------------------------------------------
    for name, kind, leading_only, level, required in STRUCTURE_TARGETS:
        structure.structure_set(
            actor=s.actor, name=name, kind=kind, leading_only=leading_only, level=level, required=required
        )
        s.add("structure_targets")
    return s.counts


def _task_done(task: Task, actor: User, s: _Seed) -> None:
    upload = SimpleUploadedFile(f"{task.item.title}.pdf", PDF, content_type="application/pdf")
    checklists.task_done(actor=actor, task=task, note="已完成，材料见附件。", files=[upload])
    s.add("tasks_done")


@transaction.atomic
def delete() -> int:
    """Remove every demo network (the subtrees of city federations carrying DEMO_NOTE): its targets
    and links in the city, checklists and their evidence files, posts and the people who held only
    those, snapshots of its places, the structure targets and the five districts the demo added.
    For the demo's reset only; return how many organisations went."""
    removed = 0
    for root in Organisation.objects.filter(depth=1, note=DEMO_NOTE).select_related("region"):
        city = root.region
        orgs = Organisation.objects.filter(subtree(root.path))
        in_city = Q(region__code__startswith=city.scope_prefix)
        targets = Target.objects.filter(in_city)
        links = CoverageLink.objects.filter(Q(organisation__in=orgs) | Q(target__in=targets))
        files = Evidence.objects.filter(Q(task__organisation__in=orgs) | Q(link__in=links))
        for item in files:
            item.file.delete(save=False)
        files.delete()
        links.delete()
        targets.delete()
        Task.objects.filter(organisation__in=orgs).delete()
        people = set(Position.objects.filter(organisation__in=orgs).values_list("person_id", flat=True))
        Position.objects.filter(organisation__in=orgs).delete()
        Person.objects.filter(pk__in=people, positions__isnull=True).delete()
        CoverageSnapshot.objects.filter(place__code__startswith=city.scope_prefix).delete()
        removed += orgs.count()
        orgs.delete()  # treebeard's delete: the subtree and its many-to-many rows
        # The districts and towns it added, unless something else has been placed below them since.
        added = Place.objects.filter(code__in=added_place_codes(city.code), name__in=ADDED_PLACE_NAMES)
        added.filter(level="town", children__isnull=True).delete()
        added.filter(level="district", children__isnull=True).delete()
    if removed and not Organisation.objects.exists():
        CoverageSnapshot.objects.filter(place__isnull=True).delete()
        StructureTarget.objects.filter(name__in=[t[0] for t in STRUCTURE_TARGETS]).delete()
    return removed
