"""/api/v1/governance/board: the public board, a matter, and its steps through the API."""

from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicgrid.governance.models import Matter, MatterPhoto, MatterUpdate
from civicgrid.governance.tests.board_setup import board_world, draft, jpeg, matter_in

API = "/api/v1/governance/board"


@pytest.fixture
def bw(gw):
    return board_world(gw)


def _post(client, path: str, body: dict | None = None):
    return client.post(f"{API}{path}", body or {}, content_type="application/json")


def test_anyone_lists_the_published_matters_and_no_draft(bw, client):
    matter_in(bw, "open", title="公开的事")
    matter_in(bw, "verified", title="已核验的事")
    draft(bw, title="草稿")
    response = client.get(f"{API}/matters")
    assert response.status_code == 200
    body = response.json()
    assert {i["title"]: i["state"] for i in body["items"]} == {"公开的事": "open", "已核验的事": "verified"}
    assert body["next_cursor"] == ""
    assert body["items"][0]["url"].startswith("http://testserver/governance/board/")
    assert client.get(f"{API}/matters", {"state": "draft"}).status_code == 400
    assert client.get(f"{API}/matters", {"state": "verified"}).json()["items"][0]["title"] == "已核验的事"
    assert client.get(f"{API}/matters", {"after": "nonsense"}).status_code == 400


def test_a_publisher_lists_their_drafts(bw, client):
    draft(bw, title="草稿")
    client.force_login(bw.town_operator)
    items = client.get(f"{API}/matters", {"state": "draft"}).json()["items"]
    assert [i["title"] for i in items] == ["草稿"]
    client.force_login(bw.outsider)
    assert client.get(f"{API}/matters", {"state": "draft"}).json()["items"] == []


def test_a_draft_is_not_found_for_the_public_and_an_outsider(bw, client):
    matter = draft(bw)
    assert client.get(f"{API}/matters/{matter.pk}").status_code == 404
    client.force_login(bw.outsider)
    assert client.get(f"{API}/matters/{matter.pk}").status_code == 404
    client.force_login(bw.village_cadre)
    body = client.get(f"{API}/matters/{matter.pk}").json()
    assert body["state"] == "draft" and body["steps"] == ["publish"] and body["can_edit"] is True


def test_the_detail_shows_the_public_only_thumbnails_and_the_sides(bw, client):
    matter = matter_in(bw, "completed")
    body = client.get(f"{API}/matters/{matter.pk}").json()
    assert body["claimant"] == "市水务局" and body["plan"] == "两周内完成改造。"
    assert body["steps"] == []
    progress = next(e for e in body["entries"] if e["kind"] == "progress")
    assert progress["actor"] == "市水务局"
    assert progress["photos"][0]["url"] == "" and progress["photos"][0]["thumbnail_url"].endswith("/thumb/")
    client.force_login(bw.village_cadre)
    body = client.get(f"{API}/matters/{matter.pk}").json()
    progress = next(e for e in body["entries"] if e["kind"] == "progress")
    assert progress["actor"] == "周水务" and progress["photos"][0]["url"].endswith("/full/")
    assert body["steps"] == ["verify", "return"]


def test_create_needs_a_publisher_of_the_place(bw, client):
    body = {"title": "修桥", "need": "桥面破损", "budget": "50000", "region_code": bw.grid_a1a.code,
            "deadline": "2099-01-31", "publish": True}  # fmt: skip
    assert _post(client, "/matters", body).status_code == 401
    client.force_login(bw.outsider)
    assert _post(client, "/matters", body).status_code == 403
    client.force_login(bw.town_operator)
    response = _post(client, "/matters", body)
    assert response.status_code == 201
    assert response.json()["state"] == "open" and response.json()["budget"] == "50000.00"
    bad = _post(client, "/matters", {**body, "region_code": "000"})
    assert bad.status_code == 400 and "region_code" in bad.json()["extra"]["fields"]
    assert Matter.objects.count() == 1


def test_claim_progress_complete_verify_through_the_api(bw, client):
    matter = matter_in(bw, "open")
    client.force_login(bw.agency_staff)
    response = _post(client, f"/matters/{matter.pk}/claim", {"plan": "两周完成", "version": matter.version})
    assert response.status_code == 200 and response.json()["state"] == "claimed"
    version = response.json()["version"]
    photo = base64.b64encode(jpeg()).decode()
    response = _post(client, f"/matters/{matter.pk}/progress", {"text": "装好扶手", "photos": [photo]})
    assert response.status_code == 200
    assert MatterPhoto.objects.filter(update__matter=matter).count() == 1
    stale = _post(client, f"/matters/{matter.pk}/complete", {"text": "完成", "version": version})
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    response = _post(client, f"/matters/{matter.pk}/complete", {"text": "完成"})
    assert response.json()["state"] == "completed"
    refused = _post(client, f"/matters/{matter.pk}/verify", {})
    assert refused.status_code == 403
    client.force_login(bw.village_cadre)
    response = _post(client, f"/matters/{matter.pk}/verify", {"text": "合格"})
    assert response.status_code == 200 and response.json()["state"] == "verified"
    assert _post(client, f"/matters/{matter.pk}/verify", {}).status_code == 409


def test_progress_as_multipart_with_a_photo_file(bw, client):
    matter = matter_in(bw, "claimed")
    client.force_login(bw.agency_staff)
    response = client.post(
        f"{API}/matters/{matter.pk}/progress",
        {"text": "现场照片", "photos": [SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")]},
    )
    assert response.status_code == 200, response.content
    assert MatterPhoto.objects.filter(update__matter=matter, update__text="现场照片").count() == 1


def test_a_second_claimant_gets_409_naming_who_won(bw, client):
    matter = matter_in(bw, "open")
    client.force_login(bw.agency_staff)
    assert _post(client, f"/matters/{matter.pk}/claim", {"plan": "我们做", "version": 1}).status_code == 200
    client.force_login(bw.agency_b_staff)
    refused = _post(client, f"/matters/{matter.pk}/claim", {"plan": "我们也做", "version": 1})
    assert refused.status_code == 409
    assert refused.json()["code"] == "already_claimed"
    assert "市水务局" in refused.json()["message"]
    assert MatterUpdate.objects.filter(matter=matter, kind="claimed").count() == 1


@pytest.mark.parametrize("persona", ["outsider", "resident", "resident_b"])
def test_an_outsider_may_take_no_step_through_the_api(bw, client, persona):
    matter = matter_in(bw, "claimed")
    client.force_login(getattr(bw, persona))
    for action in ("progress", "complete", "withdraw"):
        assert _post(client, f"/matters/{matter.pk}/{action}", {"text": "x"}).status_code == 403
    assert _post(client, f"/matters/{matter.pk}/claim", {"plan": "x"}).status_code == 409
    assert Matter.objects.get(pk=matter.pk).version == matter.version


def test_steps_need_a_signed_in_caller(bw, client):
    matter = matter_in(bw, "open")
    assert _post(client, f"/matters/{matter.pk}/claim", {"plan": "x"}).status_code == 401


def test_the_schemas_are_named_for_the_board(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    ours = [name for name in schemas if "Matter" in name]
    assert ours and all(name.startswith("GovMatter") for name in ours), ours
