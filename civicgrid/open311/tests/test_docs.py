"""docs/open311.md's round trip, run as written against a live server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from civicgrid.accounts import services as accounts
from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import jpeg
from civicgrid.open311.models import Open311Request

DOC = Path(__file__).resolve().parents[3] / "docs" / "open311.md"


@pytest.fixture
def committed_world(transactional_db, world):
    """The personas committed, so the live server's thread sees them."""
    return world


def test_the_documented_round_trip_runs(committed_world, live_server, capsys):
    world = committed_world
    _client, key = accounts.client_app_issue(
        actor=world.superuser, name="文档示例", contact="docs", region=world.district
    )
    code = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    scope = {"BASE_URL": live_server.url, "API_KEY": key, "PHOTO": jpeg()}
    exec(compile(code, str(DOC), "exec"), scope)  # noqa: S102
    case = Case.objects.get(tracking_number=scope["request_id"])
    assert case.source == Case.Source.OPEN311
    assert case.photos.count() == 1
    assert Open311Request.objects.get(case=case).email == "resident@example.cn"
    assert scope["record"]["status"] == "open"
    assert scope["record"]["media_url"].startswith(live_server.url)
    assert capsys.readouterr().out.startswith("open ")
