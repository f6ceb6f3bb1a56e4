"""Normalising an address as a call-taker or a resident writes it.

`parse(text)` returns its `Parts` and the keys the register stores and the matcher looks up. Every
door (register import and editing, order matching, aliases) normalises through here only, so an
address and an order's text meet on the same keys.

The reading, in order (each step a precompiled pattern; about 20 µs an address):

1. NFKC (full-width letters, digits, spaces and brackets become half-width), traditional forms of the
   few characters addresses use (號 棟 樓 單 區 …), every space dropped, Latin letters upper-cased,
   dashes and `#` unified; remarks in brackets dropped: `(靠近菜场)`.
2. Chinese numerals before a unit word become Arabic: 十三号 → 13号, 三零二室 → 302室, 两单元 → 2单元,
   第三组 → 3组. Numerals inside names (五一路, 八一新村) are left alone, so a name keeps one spelling.
3. The administrative prefix goes, level by level and as often as written: province (浙江省), city
   (杭州市), district or county (余杭区, 桐庐县), town (塘栖镇) or sub-district (澄湖街道 — 街道 is a
   sub-district, 中山街 stays a road), community (明珠社区, 居委会) and grid (第3网格). A village stays:
   "新桥村3组15号" is an address. Lead-ins (地址：, 位于, 家住) go too.
4. Noise goes: 附近, 旁边, 对面, 门口, 路口 (人民路口 → 人民路), 交叉口, 东侧, 往东50米, 楼下, 小区内 → 小区.
5. What is left is read left to right into parts:
   - a name ending in a road word (路 街 大道 大街 巷 胡同, or 弄 after a name) is the road; one ending in
     a compound word (小区 花园 家园 苑 公寓 新村 大厦 广场 村 …) is the compound, unless another such
     word follows (花园路 is a road, 人民路小区 a compound);
   - `N号` after a road is its number; after a compound (not a village) it is the building, as
     call-takers drop the 楼 of 号楼; in a village (…村3组15号) it is the house number;
   - a lane: `88弄3号` is number "88-3" (`88弄5支弄3号` → "88-5-3"; `88-3号` reads the same), and
     `88弄` alone is number "88" — a lane takes its number from the road's door numbers;
   - building: `N幢` = `N栋` = `N座` = `N号楼` = `N#楼` = `N#` (a letter too: A座 → "A"); `N楼` is a
     building only when a unit follows (`5楼2单元`), otherwise a floor;
   - unit `N单元`; a village group `N组` (or 队) is kept as building "N组";
   - `3-2-301` after a compound is building 3, unit 2, room 301; `3-201` building 3, room 201 (a
     second part of 3+ digits is a room, of 1–2 digits a unit);
   - rooms (`N室`, `N房`, `N户`, a trailing bare number after the building) and floors (`N层`,
     `NF`, `N楼`) are dropped: a grid does not depend on them;
   - anything else is `rest`; a name without a known ending right before a building or unit is taken
     as the compound (明珠湾3幢).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Parts:
    road: str = ""  # road, street or lane name: 解放路
    number: str = ""  # its number, Arabic digits: 88 (号), 88-3 (88弄3号)
    compound: str = ""  # residential compound: 幸福家园, or a village: 新桥村
    building: str = ""  # 3 (幢/栋/座/号楼), A (A座), 3组 (a village's group)
    unit: str = ""  # 2 (单元)
    rest: str = ""  # what is left once the parts and noise are taken out
    # The places written in front and taken off (荷塘镇, 明珠社区): not part of the key; the matcher
    # narrows the region to them when it knows them.
    area: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The whole address as one comparable string (the register's `key`)."""
        return "|".join((self.road, self.number, self.compound, self.building, self.unit, self.rest))

    @property
    def empty(self) -> bool:
        return not (self.road or self.number or self.compound or self.building or self.unit or self.rest)


# --- 1. Characters --------------------------------------------------------------------------------

_TRADITIONAL = str.maketrans(
    {
        "號": "号", "棟": "栋", "樓": "楼", "單": "单", "區": "区", "鎮": "镇", "縣": "县", "園": "园",
        "場": "场", "門": "门", "廣": "广", "東": "东", "關": "关", "橋": "桥", "莊": "庄", "灣": "湾",
        "—": "-", "–": "-", "―": "-", "~": "-", "〜": "-", "－": "-", "_": "-", "‐": "-",
        "＃": "#", "№": "#",
    }
)  # fmt: skip
_SPACE = re.compile(r"[\s\u3000\u00a0\u200b]+")
_REMARK = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|「[^「」]*」")
_PUNCT = re.compile(r"[,.;:!?'\"、，。；：！？“”‘’·・/\\|<>《》()\[\]【】{}]+")


def clean(text: str) -> str:
    """Return `text` in NFKC with no spaces, Latin upper-cased, traditional forms and dashes unified."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or "").translate(_TRADITIONAL)).upper()


# --- 2. Chinese numerals --------------------------------------------------------------------------

_DIGIT = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
          "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_POWER = {"十": 10, "百": 100, "千": 1000}
_CN = "零〇○一二两三四五六七八九十百千"
# Unit words a numeral may stand before; a numeral elsewhere is part of a name (五一路).
_UNIT_WORDS = "号|#|弄|支弄|幢|栋|座|单元|室|房|户|楼|层|组|队|排|米|期|区"
_CN_NUMBER = re.compile(rf"第?([{_CN}]+)(?={_UNIT_WORDS})")
_ORDINAL = re.compile(rf"第(\d+)(?={_UNIT_WORDS})")


def chinese_number(text: str) -> int:
    """Return the value of a Chinese numeral: 十三 → 13, 一百零五 → 105, 三零二 → 302, 两 → 2.

    Without 十/百/千 the digits are read one by one (a room 三零二); 一百二 is 120, as spoken.
    """
    if not any(ch in _POWER for ch in text):
        value = 0
        for ch in text:
            value = value * 10 + _DIGIT[ch]
        return value
    total, current, last_power = 0, 0, 1
    zero_seen = False
    for ch in text:
        if ch in _POWER:
            last_power = _POWER[ch]
            total += (current or 1) * last_power
            current, zero_seen = 0, False
        else:
            digit = _DIGIT[ch]
            zero_seen = zero_seen or digit == 0
            current = digit
    if current and last_power >= 100 and not zero_seen and text[-2] in _POWER:
        current *= last_power // 10  # 一百二 = 120
    return total + current


def _numerals(text: str) -> str:
    def arabic(m: re.Match[str]) -> str:
        return str(chinese_number(m.group(1)))

    if not any(ch in _CN for ch in text) and "第" not in text:
        return text
    return _ORDINAL.sub(r"\1", _CN_NUMBER.sub(arabic, text))


# --- 3. The administrative prefix -----------------------------------------------------------------

# Characters a place's name may have: no digits and none of the words that end a road, a compound or
# a level, so a prefix never reaches into the address (幸福家园东区 is no district).
_N = r"[^\d\-#A-Z路街巷弄道号园苑村区县市镇乡省小楼幢栋座单元室层组网格社居委会广场厦寓]"
_PREFIXES = (
    re.compile(rf"{_N}{{2,8}}(?:省|自治区|特别行政区)"),
    re.compile(rf"{_N}{{2,6}}市(?![场政区内中])"),
    re.compile(rf"{_N}{{2,6}}(?:新区|区|县)(?![内域])"),
    re.compile(rf"{_N}{{1,6}}(?:镇|乡)(?![村上内中区])"),
    re.compile(rf"{_N}{{1,6}}街道(?:办事处|办)?"),
    # 社区 ends nothing but a community, so its name may hold a compound's characters (南园社区).
    re.compile(rf"{_N.replace('园苑村', '')}{{1,6}}(?:社区|居委会|居民委员会)(?:居委会|居民委员会)?"),
    re.compile(rf"(?:第?\d+|{_N}{{1,8}})网格"),
)
_LEAD_IN = re.compile(r"^(?:事发地址|事发地点|地址|住址|地点|位置)?[:：]?(?:位于|家住|住在|在)?")
_VILLAGE_OFFICE = re.compile(r"村?村(?:民委员会|委会|委)")


def _strip_prefix(text: str) -> tuple[str, list[str]]:
    text = _LEAD_IN.sub("", text, count=1)
    area: list[str] = []
    for _round in range(4):
        before = text
        for pattern in _PREFIXES:
            m = pattern.match(text)
            if m and m.end() < len(text):
                area.append(m.group())
                text = text[m.end() :]
        if text == before:
            break
    return text, area


def strip_places(text: str, names: Iterable[str]) -> tuple[str, list[str]]:
    """Drop the region's own place names written in front (琴湖澄湖人民路 → 人民路), longest first;
    return the text left and the names dropped.

    `names` are bare names of towns and above (the matcher passes the region's, `matching` caches
    them); a name is dropped only when something is left after it."""
    text = clean(text)
    names = sorted(names, key=len, reverse=True)
    dropped: list[str] = []
    changed = True
    while changed:
        changed = False
        for name in names:
            if name and text.startswith(name) and len(text) > len(name):
                text = text[len(name) :]
                dropped.append(name)
                changed = True
    return text, dropped


# --- 4. Noise -------------------------------------------------------------------------------------

_NOISE = re.compile(
    r"(?:往|向|朝)?(?:东|南|西|北|东南|东北|西南|西北)(?:侧|面|边|方向)?(?:约)?\d+(?:米|M)(?:处|左右)?"
    r"|(?:东|南|西|北)(?:侧|边|面)(?![路街巷道村])"
    r"|附近|旁边|边上|对面|门口|周边|周围|一带|交叉口|十字路口|楼下|楼上|楼道|楼梯口?|后面|前面|里面"
    r"|这里|那里|这边|那边|处$|旁$|内$"
)
_CORNER = re.compile(r"(路|街|大道|巷)口")
_INSIDE = re.compile(r"(小区|花园|家园|苑|公寓|新村|村)(?:内|里)")

# --- 5. Parts -------------------------------------------------------------------------------------

_ROAD_ENDS = ("大道", "大街", "胡同", "路", "街", "巷", "弄")
_COMPOUND_ENDS = ("小区", "花园", "家园", "公寓", "新村", "大厦", "广场", "山庄", "公馆", "华庭",
                  "华府", "宿舍", "大院", "苑", "村")  # fmt: skip
_ENDS = "|".join(sorted((*_ROAD_ENDS, *_COMPOUND_ENDS), key=len, reverse=True))
_NAME = r"[\u4e00-\u9fffA-Z]"
_TOKEN = re.compile(
    rf"""
    (?P<triple>\d+)-(?P<triple2>\d+)-(?P<triple3>\d+)(?:室|号)?
  | (?P<lane>\d+)弄(?:(?P<sublane>\d+)支弄)?(?:(?P<house>\d+[A-Z]?)号)?
  | (?P<bld>\d+[A-Z]?|[A-Z])(?:号楼|\#楼|幢|栋|座|\#|楼(?=\d+单元))
  | (?P<unit>\d+)单元
  | (?P<group>\d+)(?:组|队)
  | (?P<num>\d+[A-Z]?(?:-\d+)*)号(?:院)?
  | \d+(?:室|房|户)
  | \d+(?:楼|层|F)
  | (?P<bare>\d+[A-Z]?)(?:-(?P<bare2>\d+))?
  | (?P<name>{_NAME}+?)(?P<end>{_ENDS})(?!{_ENDS})
  | (?P<char>.)
    """,
    re.VERBOSE,
)
_FILLER = frozenset("的处旁边内里这那附近与和及靠-#,.")


def _number(text: str) -> str:
    """Return a door number without leading zeros: 012 → 12, 12-03 → 12-3."""
    return "-".join(p.lstrip("0") or "0" if p.isdigit() else p for p in text.split("-"))


def parse(text: str) -> Parts:
    """Return the parts of an address as written (see the module's docstring for the reading)."""
    s = _REMARK.sub("", clean(text))
    s = _numerals(s)
    s, area = _strip_prefix(_PUNCT.sub("", s))
    s = _VILLAGE_OFFICE.sub("村", s)
    s = _NOISE.sub("", s)
    s = _INSIDE.sub(r"\1", _CORNER.sub(r"\1", s))
    road = number = compound = building = unit = ""
    rest: list[str] = []
    pending: list[str] = []  # unread characters since the last part: a name with no known ending

    def take_pending_as_compound() -> None:
        nonlocal compound
        if not compound and pending:
            name = "".join(ch for ch in pending if ch not in _FILLER)
            if len(name) >= 2:
                compound = name
                pending.clear()

    for m in _TOKEN.finditer(s):
        kind = m.lastgroup
        if kind == "char":
            pending.append(m.group("char"))
            continue
        if kind in ("end", "name"):
            name = m.group("name").lstrip("的在于") + m.group("end")
            if m.group("end") in _ROAD_ENDS and not road:
                road = name
            elif m.group("end") in _COMPOUND_ENDS and not compound:
                # 幸福家园小区 is 幸福家园: a compound's own ending makes 小区 redundant.
                if name.endswith("小区") and name[:-2].endswith(_COMPOUND_ENDS) and len(name) > 4:
                    name = name[:-2]
                compound = name
            else:
                rest.append(name)
            rest.extend(pending)
            pending.clear()
            continue
        if kind in ("bld", "unit", "group") or kind == "triple3":
            take_pending_as_compound()
        if kind == "triple3":
            if not building:
                building = _number(m.group("triple"))
                unit = unit or _number(m.group("triple2"))
        elif kind in ("lane", "sublane", "house"):
            lane = [m.group("lane"), m.group("sublane"), m.group("house")]
            number = number or _number("-".join(p for p in lane if p))
        elif kind == "bld":
            building = building or _number(m.group("bld"))
        elif kind == "unit":
            unit = unit or _number(m.group("unit"))
        elif kind == "group":
            building = building or f"{_number(m.group('group'))}组"
        elif kind == "num":
            value = _number(m.group("num"))
            if road and not number:
                number = value
            elif compound and not _is_village(compound) and not building:
                building = value
            elif not number:
                number = value
        elif kind in ("bare", "bare2"):
            value, second = m.group("bare"), m.group("bare2")
            if road and not number and not compound:
                number = _number(value + (f"-{second}" if second else ""))
            elif not building and (compound or (pending and not road)):
                take_pending_as_compound()
                building = _number(value)
                if second and len(second) <= 2:
                    unit = unit or _number(second)
            elif building and not unit and second and len(second) >= 3:
                unit = _number(value)
            # Otherwise a room number: dropped.
        rest.extend(pending)
        pending.clear()
    rest.extend(pending)
    leftover = "".join(ch for ch in rest if ch not in _FILLER)
    return Parts(road, number, compound, building, unit, leftover, tuple(area))


def _is_village(compound: str) -> bool:
    """A village (新桥村) numbers its houses; a residential 新村 numbers its buildings."""
    return compound.endswith("村") and not compound.endswith("新村")


def address_fields(
    *, road: str = "", number: str = "", compound: str = "", building: str = "", unit: str = ""
) -> dict[str, str]:
    """Return the register's `text` and keys (`key`, `road_key`, `number_key`, `compound_key`,
    `building_key`) of an address given in its parts: what `Address` stores.

    The keys are those of the text read back by `parse`, so an order written like the register's
    text finds it exactly; a village address reads compound, group, number (新桥村3组15号)."""
    road, number, compound = clean(road), clean(number), clean(compound)
    building, unit = clean(building), clean(unit)
    number_text = f"{number}号" if number and not number.endswith(("号", "弄")) else number
    if building and not building.endswith(("幢", "栋", "座", "号楼", "组")):
        building_text = f"{building}幢"
    else:
        building_text = building
    unit_text = f"{unit}单元" if unit and not unit.endswith("单元") else unit
    if road:
        text = road + number_text + compound + building_text + unit_text
    else:
        text = compound + building_text + number_text + unit_text
    parts = parse(text)
    return {
        "text": text,
        "key": parts.key,
        "road_key": parts.road,
        "number_key": parts.number,
        "compound_key": parts.compound,
        "building_key": parts.building,
    }


def text_key(text: str) -> str:
    """The key of an address written as one text (an alias, an order's address)."""
    return parse(text).key
