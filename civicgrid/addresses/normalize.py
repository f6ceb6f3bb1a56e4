"""Normalising an address as a call-taker or a resident writes it (SKELETON: helper A completes it).

`parse(text)` returns its `Parts` and the keys the register stores and the matcher looks up. Every
door (register import and editing, order matching, aliases) normalises through here only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Parts:
    road: str = ""  # road, street or lane name: 解放路
    number: str = ""  # its number, Arabic digits: 88 (号), 12-3 (弄/号 combined as helper A decides)
    compound: str = ""  # residential compound: 幸福家园
    building: str = ""  # 3 (幢/栋/座/号楼)
    unit: str = ""  # 2 (单元)
    rest: str = ""  # what is left once the parts and noise are taken out

    @property
    def key(self) -> str:
        """The whole address as one comparable string (the register's `key`)."""
        return "|".join((self.road, self.number, self.compound, self.building, self.unit, self.rest))


def clean(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def parse(text: str) -> Parts:
    return Parts(rest=clean(text))


def address_fields(
    *, road: str = "", number: str = "", compound: str = "", building: str = "", unit: str = ""
) -> dict[str, str]:
    """Return the register's `text` and keys (`key`, `road_key`, `number_key`, `compound_key`,
    `building_key`) of an address given in its parts: what `Address` stores. (SKELETON)"""
    text = "".join(
        p
        for p in (
            road,
            f"{number}号" if number else "",
            compound,
            f"{building}幢" if building else "",
            f"{unit}单元" if unit else "",
        )
    )
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
