"""Normalisation of addresses as call-takers and residents write them (civicgrid/addresses/normalize.py)."""

from __future__ import annotations

import time

import pytest

from civicgrid.addresses.normalize import Parts, address_fields, chinese_number, parse, strip_places, text_key

# Each row: the text as written, then the parts it must read as (road, number, compound, building, unit).
# Rows of one address are grouped: every variant of one address gives one key.
VARIANTS: dict[str, list[str]] = {
    "人民路|12||||": [
        "人民路12号",
        "人民路１２号",
        "人民路十二号",
        "人民路 12 号",
        "人民路　１２号",
        "人民路12",
        "人民路012号",
        "浙江省杭州市余杭区人民路12号",
        "杭州市余杭区塘栖镇人民路12号",
        "琴湖市澄湖街道人民路12号",
        "澄湖街道明珠社区人民路12号",
        "明珠社区居委会人民路12号",
        "南园社区人民路12号",
        "第3网格人民路12号",
        "江苏省澄州市琴湖市荷塘镇人民路十二号",
        "人民路12号附近",
        "人民路12号门口",
        "人民路12号旁边",
        "人民路12号对面",
        "人民路12号东侧",
        "人民路12号往东50米",
        "人民路口12号",
        "人民路12号(靠近菜场)",
        "人民路12号（来电人称路灯不亮）",
        "人民路12号【老人独居】",
        "地址：人民路12号",
        "在人民路12号",
        "家住人民路12号",
        "人民路12号301室",
        "人民路12号5楼",
        "人民路12號",
        "桐庐县人民路12号",
    ],
    "||幸福家园|3|2|": [
        "幸福家园3幢2单元",
        "幸福家园3栋2单元",
        "幸福家园3座2单元",
        "幸福家园3号楼2单元",
        "幸福家园3#楼2单元",
        "幸福家园３＃楼２单元",
        "幸福家园3号2单元",
        "幸福家园三号楼二单元",
        "幸福家园三幢两单元",
        "幸福家园3幢2单元301室",
        "幸福家园3幢2单元三零一室",
        "幸福家园3-2-301",
        "幸福家园3幢2单元5楼",
        "幸福家园3幢2单元12层",
        "幸福家园小区3幢2单元",
        "幸福家园小区内3幢2单元",
        "幸福家园3幢2单元楼下",
        "余杭区幸福家园3幢2单元",
        "幸福家园 3 幢 2 单元",
        "幸福家园3棟2單元",
        "幸福家园3楼2单元",
    ],
    "人民路|88-3||||": [
        "人民路88弄3号",
        "人民路八十八弄三号",
        "人民路88-3号",
        "人民路88弄3号附近",
    ],
    "||新桥村|3组||": [
        "新桥村3组",
        "新桥村三组",
        "新桥村第三组",
        "新桥村3队",
    ],
    "|15|新桥村|3组||": [
        "新桥村3组15号",
        "新桥村三组十五号",
        "荷塘镇新桥村3组15号",
        "新桥村村委会3组15号",
        "新桥村3组15号旁边",
    ],
    "学府街|105||||": [
        "学府街105号",
        "学府街一百零五号",
        "学府街一零五号",
    ],
    "||阳光花园|A||": [
        "阳光花园A座",
        "阳光花园A栋",
        "阳光花园Ａ座",
    ],
}


@pytest.mark.parametrize(("key", "text"), [(k, t) for k, texts in VARIANTS.items() for t in texts])
def test_it_gives_every_variant_of_one_address_its_key(key, text):
    assert parse(text).key == key


def test_the_table_has_at_least_sixty_variants():
    assert sum(len(texts) for texts in VARIANTS.values()) >= 60


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("中山街12号", Parts(road="中山街", number="12")),  # 中山街 is a road, 街道 a sub-district
        ("中山街道人民路5号", Parts(road="人民路", number="5")),
        ("幸福花园路5号", Parts(road="幸福花园路", number="5")),  # 花园 followed by 路: a road
        ("人民路小区A座", Parts(compound="人民路小区", building="A")),  # 路 followed by 小区: a compound
        ("人民路12号幸福家园3幢", Parts(road="人民路", number="12", compound="幸福家园", building="3")),
        ("八一新村5幢", Parts(compound="八一新村", building="5")),  # numerals inside a name stay
        ("五一路3号", Parts(road="五一路", number="3")),
        ("八一新村5号", Parts(compound="八一新村", building="5")),  # 新村 is residential: 号 = building
        ("明珠湾3幢", Parts(compound="明珠湾", building="3")),  # a name before a building is the compound
        ("人民路88弄", Parts(road="人民路", number="88")),
        ("人民路88弄5支弄3号", Parts(road="人民路", number="88-5-3")),
        ("幸福家园3-201", Parts(compound="幸福家园", building="3")),  # building, room
        ("长生弄7号", Parts(road="长生弄", number="7")),  # 弄 after a name: a lane's name
        ("东门街10号", Parts(road="东门街", number="10")),
        ("世纪大道1000号", Parts(road="世纪大道", number="1000")),
        ("南锣鼓巷胡同8号", Parts(road="南锣鼓巷胡同", number="8")),
        ("城市花园3幢", Parts(compound="城市花园", building="3")),  # 城市 is no city
        ("菜市场旁边", Parts(rest="菜市场")),
    ],
)
def test_it_reads_the_parts(text, parts):
    got = parse(text)
    assert (got.road, got.number, got.compound, got.building, got.unit, got.rest) == (
        parts.road,
        parts.number,
        parts.compound,
        parts.building,
        parts.unit,
        parts.rest,
    )


def test_it_keeps_the_places_written_in_front_outside_the_key():
    parts = parse("江苏省澄州市荷塘镇人民路12号")
    assert parts.area == ("江苏省", "澄州市", "荷塘镇")
    assert parts.key == parse("人民路12号").key


def test_it_reads_an_empty_or_noise_only_text_as_empty():
    assert parse("").empty
    assert parse("   ").empty
    assert parse("附近").empty


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("一", 1), ("十", 10), ("十三", 13), ("二十", 20), ("九十九", 99), ("一百", 100), ("一百零五", 105),
     ("两百", 200), ("一百二", 120), ("三零二", 302), ("〇", 0), ("一千零八", 1008)],
)  # fmt: skip
def test_it_reads_chinese_numerals(numeral, value):
    assert chinese_number(numeral) == value


def test_address_fields_give_the_keys_an_order_written_like_the_register_finds():
    fields = address_fields(road="人民路", number="88", compound="幸福家园", building="3", unit="2")
    assert fields["text"] == "人民路88号幸福家园3幢2单元"
    assert fields["key"] == text_key("人民路八十八号幸福家园三栋二单元")
    assert (fields["road_key"], fields["number_key"], fields["compound_key"], fields["building_key"]) == (
        "人民路",
        "88",
        "幸福家园",
        "3",
    )
    village = address_fields(compound="新桥村", building="3组", number="15")
    assert village["text"] == "新桥村3组15号"
    assert village["key"] == text_key("新桥村三组十五号")


def test_strip_places_drops_the_regions_bare_names_in_front():
    assert strip_places("琴湖荷塘人民路12号", ["琴湖", "荷塘"]) == ("人民路12号", ["琴湖", "荷塘"])
    assert strip_places("荷塘", ["荷塘"]) == ("荷塘", [])


def test_it_parses_ten_thousand_addresses_a_second():
    texts = [t for texts in VARIANTS.values() for t in texts] * 50
    started = time.perf_counter()
    for text in texts:
        parse(text)
    per_second = len(texts) / (time.perf_counter() - started)
    assert per_second > 10_000
