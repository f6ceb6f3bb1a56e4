"""A sample 12345 export, shaped like the hotline's own, over the operator's own address register.

For clerks to try the import before the first real export arrives (the upload page's "下载示例工单"),
for the demo's hotline orders (`demo_hotline`) and for tests. The columns are the hotline's
(工单编号, 受理时间, 来电人, 来电号码, 诉求类型, 问题分类, 诉求内容, 事发地址, 承办单位, 办理时限); the
addresses are the region's register as call-takers write it (`addresses.generate.order_addresses`:
prefixes, Chinese numerals, 栋/座 for 幢, typos, noise, a few naming nothing on record); the category
paths are real-looking ones (`PATHS`), a few of them not mapped in the demo; the callers and their
phones are made up (138…).
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from civicgrid.accounts.models import User
from civicgrid.addresses.access import code_range
from civicgrid.addresses.generate import order_addresses
from civicgrid.addresses.models import Address, AddressAlias
from civicgrid.cases import access as case_access
from civicgrid.cases.hotline import check_import
from civicgrid.core.errors import ApplicationError
from civicgrid.places.models import Place

HEADER = ("工单编号", "受理时间", "来电人", "来电号码", "诉求类型", "问题分类", "诉求内容", "事发地址", "承办单位", "办理时限")  # fmt: skip
WIDTHS = (20, 20, 10, 14, 8, 30, 40, 40, 16, 18)
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILENAME = "12345示例工单.xlsx"

# The hotline's category paths: (path, the CivicGrid category the demo maps it to or None for a path
# the demo leaves unmapped, the unit the hotline hands it to, what callers say).
PATHS: tuple[tuple[str, str | None, str, tuple[str, ...]], ...] = (
    ("城乡建设>市容环卫>垃圾清运", "E0101", "城管局", ("小区门口垃圾堆了三天没人清运，气味很大", "路边垃圾堆放，招苍蝇")),
    ("城乡建设>市容环卫>垃圾桶满溢", "C0301", "环卫所", ("垃圾桶满了溢出来，没人来收",)),
    ("城乡建设>市容环卫>公厕管理", "C0302", "环卫所", ("公厕冲水坏了好几天，很脏",)),
    ("城乡建设>市政设施>路灯", "C0102", "供电公司", ("路灯晚上不亮，走路看不清", "一排路灯一直闪")),
    ("城乡建设>市政设施>井盖", "C0101", "市政所", ("井盖松动，车开过去咣当响", "井盖缺了一块，怕小孩掉下去")),
    ("城乡建设>市政设施>道路破损", "C0201", "交通运输局", ("路面有个大坑，电动车摔了好几次",)),
    ("城乡建设>市政设施>排水积水", "E0102", "水务局", ("一下雨门口就积水，出不了门",)),
    ("城乡建设>园林绿化>树木倒伏", "C0401", "园林所", ("大风把树刮倒了，挡住了路",)),
    ("城乡建设>园林绿化>绿地损毁", "C0402", "园林所", ("绿化带被人挖了种菜",)),
    ("城乡建设>违法建设>私搭乱建", "C0502", "城管局", ("楼下住户在公共绿地上搭了棚子",)),
    ("城乡建设>房屋安全>危房", "C0501", "住建局", ("老房子墙体开裂，担心倒塌",)),
    ("城乡建设>物业管理>物业服务", "E0605", "住建局", ("物业不管楼道卫生，电梯经常坏",)),
    ("城乡建设>城市管理>占道经营", "E0401", "城管局", ("早上摊贩占道卖菜，车过不去",)),
    ("城乡建设>城市管理>小广告", "E0201", "城管局", ("楼道里贴满了小广告",)),
    ("交通管理>违法停车", "E0402", "交警大队", ("消防通道被车堵住了", "车停在人行道上，轮椅过不去")),
    ("交通管理>共享单车停放", "E0403", "交通运输局", ("共享单车堆在路口，挡住盲道",)),
    ("交通管理>交通设施>标志标线", "C0202", "交通运输局", ("路口的限速牌被撞歪了",)),
    ("交通管理>公共交通>公交站台", "C0204", "公交公司", ("公交站亭玻璃碎了",)),
    ("环境保护>噪声污染>施工噪声", "E0301", "住建局", ("工地晚上十点以后还在施工，吵得睡不着",)),
    ("环境保护>噪声污染>社会生活噪声", "E0104", "生态环境局", ("楼下广场舞音响太响", "隔壁商铺喇叭整天循环播放")),
    ("环境保护>大气污染>工地扬尘", "E0303", "生态环境局", ("工地没有洒水，灰尘很大",)),
    ("环境保护>水污染>污水排放", "E0105", "生态环境局", ("饭店污水直接排进河里",)),
    ("水务管理>供水>水管破裂", "C0103", "自来水公司", ("路边水管爆了，水一直在流",)),
    ("能源管理>燃气>燃气安全", "C0104", "燃气公司", ("楼道里闻到燃气味",)),
    ("安全生产>消防安全>电动车楼道充电", "E0604", "应急管理局", ("有人在楼道里给电动车充电，担心起火",)),
    ("民政服务>养老服务>居家养老", "E0602", "民政局", ("家里老人独居，想申请助餐服务",)),
    ("社会治理>邻里纠纷", "E0601", "司法所", ("楼上漏水到我家，协商不成",)),
    # Left unmapped in the demo: the import asks the operator once.
    ("市场监管>食品安全>无证摊贩", None, "市场监管局", ("路口有人无证卖熟食",)),
    ("城乡建设>市容环卫>渣土撒漏", None, "城管局", ("渣土车撒了一路泥",)),
)  # fmt: skip
# 诉求类型 as the hotline writes it, with how often each comes.
KINDS = (("投诉", 40), ("求助", 20), ("咨询", 12), ("举报", 10), ("建议", 18))
TIME_LIMITS = ("5个工作日", "5个工作日", "3个工作日", "24小时", "2天")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"


@dataclass(frozen=True)
class SampleRow:
    """One order of a sample export: the cells in `HEADER` order, and the grid its address should
    reach (None: its address names nothing on record)."""

    values: tuple[Any, ...]
    expected_grid: str | None

    @property
    def order_number(self) -> str:
        return self.values[0]

    @property
    def path(self) -> str:
        return self.values[5]

    @property
    def address(self) -> str:
        return self.values[7]


def _names(codes: set[str]) -> dict[str, str]:
    return dict(Place.objects.filter(code__in=codes).values_list("code", "name"))


def region_register(
    region: Place, *, grids: int = 12, per_grid: int = 40, seed: int = 0
) -> list[dict[str, Any]]:
    """Return some of `region`'s register addresses as `generate.order_addresses` reads them (parts,
    grid code, aliases, the names of town, district, city and community for prefixes).

    Bounded whatever the region's size: `grids` of its grids (drawn by `seed`), the first `per_grid`
    active addresses of each (`address_grid_idx`).
    """
    grid_places = list(
        Place.objects.filter(code__startswith=region.scope_prefix, level=Place.Level.GRID)
        .order_by("code")
        .values_list("pk", "code")[:2000]
    )
    rng = random.Random(f"sample-grids-{seed}")
    chosen = sorted(rng.sample(grid_places, min(grids, len(grid_places))), key=lambda g: g[1])
    addresses: list[Address] = []
    for pk, _code in chosen:
        addresses += list(
            Address.objects.filter(grid_id=pk, status=Address.Status.ACTIVE).order_by("id")[:per_grid]
        )
    if not addresses:
        return []
    aliases: dict[int, list[tuple[str, str]]] = {}
    for address_id, text, kind in AddressAlias.objects.filter(
        address_id__in=[a.pk for a in addresses], kind=AddressAlias.Kind.FORMER
    ).values_list("address_id", "text", "kind"):
        aliases.setdefault(address_id, []).append((text, kind))
    codes = {a.grid_code for a in addresses}
    names = _names(
        {c[:12] for c in codes}
        | {c[:9] for c in codes}
        | {c[:6] for c in codes}
        | {c[:4] + "00" for c in codes}
    )
    rows = []
    for a in addresses:
        community = names.get(a.grid_code[:12], "")
        rows.append(
            {
                "road": a.road,
                "number": a.number,
                "compound": a.compound,
                "building": a.building,
                "unit": a.unit,
                "grid_code": a.grid_code,
                "aliases": aliases.get(a.pk, []),
                "town": names.get(a.grid_code[:9], ""),
                "district": names.get(a.grid_code[:6], ""),
                "city": names.get(a.grid_code[:4] + "00", ""),
                "community": community if community.endswith("社区") else "",
            }
        )
    return rows


def sample_rows(
    addresses: Sequence[Any],
    *,
    seed: int,
    n: int,
    start: datetime | None = None,
    prefix: str = "GD",
    unmapped: bool = True,
    extra_addresses: Sequence[str] = (),
) -> list[SampleRow]:
    """Return `n` orders over `addresses` (register rows as `generate.register_rows` or
    `region_register` give them), then one per text of `extra_addresses` (addresses on no register).

    Order numbers are `prefix`, the minute of `start` and a running number; orders were received over
    the three days before `start` (default now), newest last. With `unmapped`, about one order in ten
    carries a path the demo leaves unmapped.
    """
    rng = random.Random(f"sample-{seed}")
    start = timezone.localtime(start or timezone.now()).replace(microsecond=0)
    paths = [p for p in PATHS if unmapped or p[1] is not None]
    texts = order_addresses(addresses, seed=seed, n=n) if addresses and n else []
    texts += [(text, None) for text in extra_addresses]
    total = len(texts)
    rows = []
    for i, (address, grid_code) in enumerate(texts):
        path, _code, unit, descriptions = rng.choice(paths)
        received = start - timedelta(minutes=round((total - i) * 72 * 60 / max(total, 1)))
        limit: Any = rng.choice(TIME_LIMITS)
        if rng.random() < 0.2:
            limit = (received + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
        surname = rng.choice(_SURNAMES)
        caller = surname + rng.choice(("先生", "女士", "先生", "女士", "师傅", "阿姨"))
        values = (
            f"{prefix}{start:%Y%m%d%H%M}{i + 1:03d}",
            received.strftime("%Y-%m-%d %H:%M:%S"),
            caller,
            f"138{rng.randrange(10**8):08d}",
            rng.choices([k for k, _w in KINDS], weights=[w for _k, w in KINDS])[0],
            path,
            rng.choice(descriptions),
            address,
            unit,
            limit,
        )
        rows.append(SampleRow(values, grid_code))
    return rows


def workbook_bytes(rows: Sequence[SampleRow]) -> bytes:
    """Return the rows as an .xlsx shaped like a hotline export: one sheet, the header row first."""
    book = Workbook()
    sheet = book.active
    sheet.title = "工单"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row.values))
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sample_for(user: User, *, n: int = 30, seed: int | None = None) -> bytes:
    """Return a sample export over the register of `user`'s region (`access.hotline_region`), for the
    upload page's download.

    1. Refuse who may not import 12345 workbooks (PermissionDenied).
    2. Read some of the region's register (`region_register`); refuse a region with none yet.
    3. `n` orders written against it, numbered from now (a second sample is new orders), two naming
       no address on record, a few with paths the demo leaves unmapped.
    """
    check_import(user)
    region = case_access.hotline_region(user)
    if region is None or region.level == Place.Level.CITY:  # a superuser, a city: its first district
        districts = Place.objects.filter(level=Place.Level.DISTRICT).order_by("code")
        if region is not None:
            districts = districts.filter(code_range(region.scope_prefix, "code"))
        region = districts.first()
    addresses = region_register(region, seed=seed or 0) if region is not None else []
    if not addresses:
        raise ApplicationError(
            _("Your area's standard address register is empty, so there is nothing to write a sample from."),
            code="empty_register",
        )
    now = timezone.now()
    seed = seed if seed is not None else int(now.timestamp())
    stem = region.name.removesuffix("街道").removesuffix("镇")[:4] if region else ""
    extra = [f"{stem}鹤鸣路{8 + seed % 50}号", f"{stem}麒麟花园{1 + seed % 9}幢"]
    rows = sample_rows(
        addresses, seed=seed, n=max(1, n - len(extra)), start=now, prefix="SL", extra_addresses=extra
    )
    return workbook_bytes(rows)
