"""Open311's two formats from one structure: XML (the standard's default) and JSON (the "Spark
convention" mapping of the XML).

A document is a dict of fields; a list is `Items(name, values)`: in XML one element per value, named
`name`, inside the field's element; in JSON an array. The answer of a method is itself a list
(`services` of `service`, `service_requests` of `request`, `errors` of `error`), or a dict (a
service definition, discovery). None is an empty element in XML and null in JSON; booleans are
`true`/`false`; datetimes are ISO 8601 with their zone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

XML = "xml"
JSON = "json"
FORMATS = (XML, JSON)
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}
MEDIA_TYPES = ("text/xml", "application/json")
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


@dataclass(frozen=True)
class Items:
    """A list: `name` is each value's element in XML."""

    name: str
    values: list[Any]


def moment(value: datetime | None) -> str | None:
    """Return a datetime as W3C ISO 8601 with its zone, in the site's time zone, to the second."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return moment(value) or ""
    return str(value)


def _xml_fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Items):
        for item in value.values:
            _xml_fill(ET.SubElement(element, value.name), item)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _xml_fill(ET.SubElement(element, key), inner)
    else:
        element.text = _scalar_text(value)


def to_xml(root: str, body: Items | dict[str, Any]) -> str:
    element = ET.Element(root)
    _xml_fill(element, body)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode")


def _json_value(value: Any) -> Any:
    if isinstance(value, Items):
        return [_json_value(v) for v in value.values]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return moment(value)
    return value


def to_json(body: Items | dict[str, Any]) -> str:
    return json.dumps(_json_value(body), ensure_ascii=False, separators=(",", ":"))


def respond(fmt: str, root: str, body: Items | dict[str, Any], *, status: int = 200) -> HttpResponse:
    """Answer `body` in `fmt`; `root` names the XML document's element."""
    text = to_xml(root, body) if fmt == XML else to_json(body)
    return HttpResponse(text.encode(), status=status, content_type=CONTENT_TYPES[fmt])
