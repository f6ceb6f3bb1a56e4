"""The demo's pairings and people sent down, on the demo county (琴湖市, 329881), for the demo loader.

`load(stdout=None)` writes, through `services_pairings` (the town's operator, the county administrator
and the agency persona acting, as they would):

- every village and community paired with one of the county's agencies (包片联村), from the start of
  last year; the first town's first community also had an earlier pairing that ended;
- 琴湖农商银行 paired with a weaker village of 荷塘镇 and with a community of the first town, and 邮储银行
  with a village of 柳泾镇 (financial institutions with weak villages);
- support over the past months: visits most months, funds now and then, the banks' loans; a matter of
  the task board taken up where the board's demo left one claimed;
- people sent down to every grid: a party member from the paired agency, a people's deputy in every
  third grid, a financial village cadre in the grids of the banks' villages; the first grid's party
  member is the `village` login (a village cadre who also takes a grid), so the cases they handled show;
- their activity over the past months, recorded by the grid's worker (or by themselves).

Deterministic for a given day (seeded random; dates count back from today). Run once: a county that
already has pairings is left as it is. `delete()` removes it all (for `load_demo --reset`).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from civicgrid.accounts.models import Agency, RoleAssignment, User
from civicgrid.governance import services_pairings
from civicgrid.governance.models import Envoy, EnvoyActivity, Matter, Pairing, SupportRecord
from civicgrid.places.models import Place

SEED = 20261214
# The demo county and the places and logins `site.demo` makes there (governance may not import site).
DISTRICT_CODE = "329881"
FIRST_TOWN_CODE = "329881001"
HETANG_TOWN_CODE = "329881100"
LIUJING_TOWN_CODE = "329881101"
NOTE = "演示数据：包片联村，由演示加载器生成"
BANK = "琴湖农村商业银行"
POSTAL_BANK = "中国邮政储蓄银行琴湖市支行"

_SURNAMES = "张王李陈周吴徐沈陆顾钱朱蒋姚孙杨黄金邹严蔡范曹华倪"
_GIVEN = (
    "建军", "秀兰", "志明", "丽萍", "海涛", "晓红", "国强", "玉珍", "卫国", "春华", "文军", "桂英", "振华",
    "美玲", "德明", "红霞", "永康", "彩云", "立新", "爱民",
)  # fmt: skip
_VISITS = (
    "走访困难家庭，了解生活需求",
    "到村委会对接今年的帮扶项目",
    "入户走访独居老人，检查用电安全",
    "参加村里的逢五说事，听取群众意见",
    "调研村集体经济项目进展",
    "走访种植大户，了解用工和销路",
)
_ENVOY_NOTES = (
    "入户走访，收集群众诉求 3 条",
    "走访独居老人，帮助联系家政服务",
    "参加网格议事会，讨论停车问题",
    "协助调解邻里纠纷",
    "宣传防范电信诈骗知识",
    "走访商户，了解经营困难",
    "陪同网格员巡查，发现井盖松动",
)
_FUNDS = (
    "帮扶资金：村道路灯改造",
    "帮扶资金：村级活动阵地修缮",
    "帮扶资金：困难群众慰问",
    "帮扶资金：河道保洁设备",
)
_LOANS = ("“富民贷”发放给种植合作社", "创业担保贷款支持返乡青年开办农家乐", "整村授信，为农户发放信用贷款")


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _months_back(today: date, n: int) -> date:
    """The first day of the month `n` months before `today`'s."""
    day = today.replace(day=1)
    for _n in range(n):
        day = (day - timedelta(days=1)).replace(day=1)
    return day


def _day_in(rng: random.Random, month: date, today: date) -> date:
    last = min((month + timedelta(days=32)).replace(day=1) - timedelta(days=1), today)
    return month + timedelta(days=rng.randrange((last - month).days + 1))


def _person(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        if name not in used:
            used.add(name)
            return name


def _phone(rng: random.Random) -> str:
    return rng.choice(("135", "137", "139", "151", "158", "187", "189")) + f"{rng.randrange(10**8):08d}"


@transaction.atomic
def load(stdout=None) -> None:
    """Build the demo county's pairings and people sent down (see the module's text)."""
    if Pairing.objects.filter(town__code__startswith=DISTRICT_CODE).exists():
        _say(stdout, "Pairings: the demo county already has them; left as they are.")
        return
    users = {u.username: u for u in User.objects.filter(username__in=["town", "county", "agency", "village"])}
    county, operator = users.get("county"), users.get("town")
    if county is None:
        _say(stdout, "Pairings: no demo county (load_demo first); nothing done.")
        return
    rng = random.Random(SEED)
    today = timezone.localdate()
    began = date(today.year - 1, 1, 1)
    villages = list(
        Place.objects.filter(level=Place.Level.VILLAGE, code__startswith=DISTRICT_CODE)
        .select_related("parent")
        .order_by("code")
    )
    agencies = list(
        Agency.objects.filter(is_active=True, region__code__startswith=DISTRICT_CODE).order_by("code")
    )
    if not villages or not agencies:
        _say(stdout, "Pairings: no demo villages or agencies; nothing done.")
        return
    agency_staff = {
        r.agency_id: r.user
        for r in RoleAssignment.objects.filter(role="agency_staff", is_active=True, user__username="agency")
    }

    def manager(place: Place) -> User:
        return operator if operator is not None and place.code.startswith(FIRST_TOWN_CODE) else county

    # Pairings: an agency with every village and community, and the banks with three weaker ones.
    pairings: dict[int, list[Pairing]] = {}
    for n, village in enumerate(villages):
        agency = agencies[n % len(agencies)]
        pairing = services_pairings.pairing_create(
            actor=manager(village), kind="agency", village=village, agency=agency, starts_on=began, note=NOTE
        )
        pairings.setdefault(village.pk, []).append(pairing)
    first = villages[0]
    earlier = next(a for a in agencies if a.pk != pairings[first.pk][0].agency_id)
    old = services_pairings.pairing_create(
        actor=manager(first),
        kind="agency",
        village=first,
        agency=earlier,
        starts_on=date(today.year - 2, 3, 1),
        ends_on=date(today.year - 1, 12, 31),
        note=NOTE,
    )
    services_pairings.support_record(
        actor=manager(first), pairing=old, kind="visit", on=date(today.year - 1, 6, 18), note=_VISITS[0]
    )

    def weakest(town_code: str) -> Place | None:
        found = [v for v in villages if v.code.startswith(town_code) and v.kind == Place.Kind.VILLAGE]
        found = found or [v for v in villages if v.code.startswith(town_code)]
        return found[-1] if found else None

    banks = []
    for town_code, name in (
        (HETANG_TOWN_CODE, BANK),
        (FIRST_TOWN_CODE, BANK),
        (LIUJING_TOWN_CODE, POSTAL_BANK),
    ):
        village = weakest(town_code)
        if village is None:
            continue
        bank = services_pairings.pairing_create(
            actor=manager(village),
            kind="finance",
            village=village,
            partner_name=name,
            starts_on=_months_back(today, 10),
            note="金融村官结对帮扶（" + NOTE + "）",
        )
        pairings[village.pk].append(bank)
        banks.append(bank)

    # Support over the past months.
    records = 0
    for village in villages:
        for pairing in pairings[village.pk]:
            recorder = agency_staff.get(pairing.agency_id) or manager(village)
            is_bank = pairing.kind == Pairing.Kind.FINANCE
            for back in range(8, -1, -1):
                month = _months_back(today, back)
                if month < pairing.starts_on.replace(day=1):
                    continue
                if rng.random() < 0.75:
                    on = max(_day_in(rng, month, today), pairing.starts_on)
                    services_pairings.support_record(
                        actor=recorder, pairing=pairing, kind="visit", on=on, note=rng.choice(_VISITS)
                    )
                    records += 1
                if not is_bank and rng.random() < 0.2:
                    amount = Decimal(rng.randrange(2, 21) * 10000)
                    services_pairings.support_record(
                        actor=recorder,
                        pairing=pairing,
                        kind="funds",
                        on=max(_day_in(rng, month, today), pairing.starts_on),
                        amount=amount,
                        note=rng.choice(_FUNDS),
                    )
                    records += 1
                if is_bank and back % 3 == 1:
                    amount = Decimal(rng.randrange(5, 31) * 100000)
                    services_pairings.support_record(
                        actor=recorder,
                        pairing=pairing,
                        kind="loan",
                        on=max(_day_in(rng, month, today), pairing.starts_on),
                        amount=amount,
                        note=rng.choice(_LOANS),
                    )
                    records += 1
            # A matter of the board taken up, where the board's demo left one claimed by this agency.
            taken = (
                Matter.objects.filter(
                    town_id=pairing.town_id,
                    state__in=services_pairings.TAKEN_UP,
                    claimant_agency_id=pairing.agency_id,
                )
                .filter(Q(village_id=pairing.village_id) | Q(village__isnull=True))
                .order_by("id")
                .first()
                if pairing.agency_id
                else None
            )
            if taken is not None:
                services_pairings.support_record(
                    actor=recorder,
                    pairing=pairing,
                    kind="matter",
                    on=timezone.localdate(taken.claimed_at) if taken.claimed_at else today,
                    matter=taken,
                    note="揭榜领办",
                )
                records += 1

    # People sent down to every grid, with their activity.
    grids = list(
        Place.objects.filter(level=Place.Level.GRID, code__startswith=DISTRICT_CODE).order_by("code")
    )
    workers = {
        r.place_id: r.user
        for r in RoleAssignment.objects.filter(
            role="grid_worker", is_active=True, place__in=grids
        ).select_related("user")
    }
    by_village = {v.pk: v for v in villages}
    bank_of = {b.village_id: b for b in banks}
    used: set[str] = set()
    committee = {Place.Kind.COMMUNITY: "居委会", Place.Kind.VILLAGE: "村委会"}
    envoys = activities = 0
    starts = _months_back(today, 11)
    for n, grid in enumerate(grids):
        village = by_village.get(grid.parent_id)
        if village is None:
            continue
        agency_pairing = pairings[village.pk][0]
        sent = [
            services_pairings.envoy_create(
                actor=manager(grid),
                grid=grid,
                kind="party_member",
                name=users["village"].display_name if n == 0 and "village" in users else _person(rng, used),
                organisation=agency_pairing.partner_name if n else village.name + committee[village.kind],
                role="包格村干部" if n == 0 else "机关党员 · 网格党建指导员",
                phone=_phone(rng),
                user=users.get("village") if n == 0 else None,
                pairing=agency_pairing if n else None,
                starts_on=starts,
            )
        ]
        if n % 3 == 0:
            sent.append(
                services_pairings.envoy_create(
                    actor=manager(grid),
                    grid=grid,
                    kind="deputy",
                    name=_person(rng, used),
                    organisation="琴湖市人大代表",
                    role="代表联络站 · 联系群众",
                    phone=_phone(rng),
                    starts_on=date(today.year - 1, 1, 1),
                )
            )
        bank = bank_of.get(village.pk)
        if bank is not None:
            sent.append(
                services_pairings.envoy_create(
                    actor=manager(grid),
                    grid=grid,
                    kind="financial_cadre",
                    name=_person(rng, used),
                    organisation=bank.partner_name,
                    role="金融村官",
                    phone=_phone(rng),
                    pairing=bank,
                    starts_on=bank.starts_on,
                )
            )
        envoys += len(sent)
        recorder = workers.get(grid.pk) or manager(grid)
        for envoy in sent:
            for _k in range(rng.randint(1, 4)):
                on = max(_day_in(rng, _months_back(today, rng.randrange(4)), today), envoy.starts_on)
                kind = "meeting" if rng.random() < 0.25 else "visit"
                services_pairings.envoy_activity_record(
                    actor=envoy.user or recorder, envoy=envoy, kind=kind, on=on, note=rng.choice(_ENVOY_NOTES)
                )
                activities += 1
    _say(
        stdout,
        f"Pairings: {sum(len(p) for p in pairings.values()) + 1} pairings ({len(banks)} with banks), "
        f"{records + 1} support records, {envoys} people sent down with {activities} activities.",
    )


@transaction.atomic
def delete() -> None:
    """Remove the demo county's pairings, support, people sent down and their activity."""
    in_county = Q(town__code__startswith=DISTRICT_CODE)
    EnvoyActivity.objects.filter(envoy__town__code__startswith=DISTRICT_CODE).delete()
    Envoy.objects.filter(in_county).delete()
    SupportRecord.objects.filter(pairing__town__code__startswith=DISTRICT_CODE).delete()
    Pairing.objects.filter(in_county).delete()
