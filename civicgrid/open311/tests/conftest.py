"""Open311 fixtures: a client application's key for town A, questions on a category, and helpers
that call a method in both formats and check the XML carries what the JSON does."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from django.test import Client

from civicgrid.accounts import services as accounts
from civicgrid.cases.models import Category, CategoryQuestion
from civicgrid.cases.tests.conftest import cw  # noqa: F401 (a fixture)

BASE = "/open311/v2"
# Elements whose children form a list, in the spec's documents.
LISTS = {"services", "service_requests", "errors", "endpoints", "formats", "attributes", "values", "notes"}


def xml_data(element: ET.Element):
    """Read an Open311 XML element as the JSON structure it maps to (scalars as text)."""
    if element.tag in LISTS:
        return [xml_data(child) for child in element]
    if len(element):
        return {child.tag: xml_data(child) for child in element}
    return element.text or ""


def as_text(value):
    """The JSON structure with every scalar as its XML text."""
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Open311:
    def __init__(self, client: Client) -> None:
        self.client = client

    def both(self, path: str, schema: dict, *, expect: int = 200, **params):
        """GET `path` as JSON and XML; check the status, the JSON against `schema`, and that the XML
        carries the same content. Return the JSON."""
        answer = self.client.get(f"{BASE}/{path}.json", params)
        assert answer.status_code == expect, answer.content[:500]
        assert answer["Content-Type"] == "application/json; charset=utf-8"
        data = json.loads(answer.content)
        jsonschema.validate(data, schema)
        xml = self.client.get(f"{BASE}/{path}.xml", params)
        assert xml.status_code == expect
        assert xml["Content-Type"] == "text/xml; charset=utf-8"
        assert xml.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        assert xml_data(ET.fromstring(xml.content)) == as_text(data)
        return data

    def post(self, fmt: str = "json", *, data=None, files=None, headers=None, raw=None, content_type=None):
        url = f"{BASE}/requests.{fmt}"
        if raw is not None:
            return self.client.post(url, raw, content_type=content_type, headers=headers or {})
        if files:
            return self.client.post(url, {**(data or {}), **files}, headers=headers or {})
        from urllib.parse import urlencode

        return self.client.post(
            url,
            urlencode(data or {}, doseq=True),
            content_type="application/x-www-form-urlencoded; charset=utf-8",
            headers=headers or {},
        )


@pytest.fixture
def o311() -> Open311:
    """A client that sends no Accept-Language: answers in Chinese, the default."""
    return Open311(Client())


@pytest.fixture
def key(world) -> str:
    """A key of a client application for the district (both towns)."""
    _client, raw = accounts.client_app_issue(
        actor=world.superuser, name="随手拍小程序", contact="运维 13900000000", region=world.district
    )
    return raw


@pytest.fixture
def town_b_key(world) -> str:
    _client, raw = accounts.client_app_issue(
        actor=world.superuser, name="乙街道随手拍", contact="乙街道 13900000001", region=world.town_b
    )
    return raw


@pytest.fixture
def asked(world) -> Category:
    """C0201 with three questions: a required single choice, a multiple choice and a number."""
    category = Category.objects.get(code="C0201")
    CategoryQuestion.objects.create(
        category=category,
        code="severity",
        label="损坏程度",
        label_en="Damage",
        hint="选一项",
        hint_en="Pick one",
        datatype="singlevaluelist",
        required=True,
        order=1,
        values=[
            {"key": "missing", "name": "缺失", "name_en": "Missing"},
            {"key": "broken", "name": "破损", "name_en": "Broken"},
        ],
    )
    CategoryQuestion.objects.create(
        category=category,
        code="hazards",
        label="危险",
        label_en="Hazards",
        datatype="multivaluelist",
        required=False,
        order=2,
        values=[
            {"key": "traffic", "name": "影响通行", "name_en": "Traffic"},
            {"key": "night", "name": "夜间无照明", "name_en": "Dark at night"},
        ],
    )
    CategoryQuestion.objects.create(
        category=category, code="width", label="坑宽（米）", label_en="Width (m)", datatype="number", order=3
    )
    return category
