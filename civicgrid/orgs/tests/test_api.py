"""The organisation API: the same services and rules as the pages."""

from __future__ import annotations

from civicgrid.orgs.models import Organisation, Position


def test_list_detail_children_and_subtree(net, login):
    client = login(net.cadre)
    tops = client.get("/api/v1/orgs/tops").json()
    assert [t["name"] for t in tops] == ["海棠市妇联"]
    found = client.get("/api/v1/orgs/", {"q": "甲"}).json()
    assert {o["name"] for o in found["items"]} == {"甲镇妇联", "甲一村妇联"}
    detail = client.get(f"/api/v1/orgs/{net.district_fed.pk}").json()
    assert detail["ancestors"] == ["测试市妇联"] and detail["can_manage"]
    assert [p["person"]["name"] for p in detail["posts"]] == ["林副主席"]
    kids = client.get(f"/api/v1/orgs/{net.district_fed.pk}/children").json()
    assert kids["total"] == 3 and len(kids["items"]) == 3
    sub = client.get(f"/api/v1/orgs/{net.district_fed.pk}/subtree").json()
    assert sub["total"] == 4
    assert (
        client.get(f"/api/v1/orgs/{net.district_fed.pk}/subtree", {"after": "not a cursor"}).status_code
        == 400
    )


def test_create_move_appoint_and_end(net, login):
    client = login(net.cadre)
    made = client.post(
        "/api/v1/orgs/",
        {
            "parent_id": net.town_a_fed.pk,
            "name": "甲镇园区妇联",
            "kind": "park_fed",
            "region_code": net.world.town_a.code,
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.json()
    org_id = made.json()["id"]
    moved = client.post(
        f"/api/v1/orgs/{org_id}/move", {"parent_id": net.district_fed.pk}, content_type="application/json"
    )
    assert moved.status_code == 200 and moved.json()["ancestors"] == ["测试市妇联", "海棠市妇联"]
    person = client.post(
        "/api/v1/orgs/people",
        {"organisation_id": org_id, "name": "园区主席", "phone": "13600001234"},
        content_type="application/json",
    )
    assert person.status_code == 201
    post = client.post(
        "/api/v1/orgs/posts",
        {
            "person_id": person.json()["id"],
            "organisation_id": org_id,
            "role": "chair",
            "term_start": "2026-01-01",
        },
        content_type="application/json",
    )
    assert post.status_code == 201
    ended = client.post(
        f"/api/v1/orgs/posts/{post.json()['id']}/end",
        {"term_end": "2026-03-01"},
        content_type="application/json",
    )
    assert ended.status_code == 200 and ended.json()["term_end"] == "2026-03-01"
    assert Position.objects.filter(organisation_id=org_id).count() == 1


def test_bad_input_is_a_clear_400_and_changes_nothing(net, login):
    client = login(net.cadre)
    before = Organisation.objects.count()
    answer = client.post(
        "/api/v1/orgs/",
        {
            "parent_id": net.town_a_fed.pk,
            "name": "",
            "kind": "nonsense",
            "region_code": net.world.village_b1.code,
        },
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert {"name", "kind", "region"} <= set(answer.json()["extra"]["fields"])
    assert Organisation.objects.count() == before


def test_a_cadre_of_another_district_is_refused(net, login):
    client = login(net.other_cadre)
    assert client.get(f"/api/v1/orgs/{net.town_a_fed.pk}").status_code == 403
    made = client.post(
        "/api/v1/orgs/",
        {
            "parent_id": net.town_a_fed.pk,
            "name": "x",
            "kind": "womens_home",
            "region_code": net.world.village_a1.code,
        },
        content_type="application/json",
    )
    assert made.status_code == 403
    moved = client.post(
        f"/api/v1/orgs/{net.other_town_fed.pk}/move",
        {"parent_id": net.district_fed.pk},
        content_type="application/json",
    )
    assert moved.status_code == 403
    patch = client.patch(
        f"/api/v1/orgs/{net.town_a_fed.pk}", {"name": "改名"}, content_type="application/json"
    )
    assert patch.status_code == 403
    assert Organisation.objects.get(pk=net.town_a_fed.pk).name == "甲镇妇联"


def test_phones_are_masked_for_readers(net, login):
    detail = login(net.world.city_admin).get(f"/api/v1/orgs/{net.district_fed.pk}").json()
    assert detail["posts"][0]["person"]["phone"] == "139****0002"
    assert not detail["can_manage"]


def test_someone_of_another_district_cannot_be_appointed_by_id(net, login):
    """The API door follows the page's rule: a person known only to another district's network is
    not there to be appointed (nor disclosed)."""
    from civicgrid.orgs.models import Person

    theirs = Person.objects.get(name="陈执委")
    answer = login(net.cadre).post(
        "/api/v1/orgs/posts",
        {
            "person_id": theirs.pk,
            "organisation_id": net.town_a_fed.pk,
            "role": "member",
            "term_start": "2026-01-01",
        },
        content_type="application/json",
    )
    assert answer.status_code == 404
    assert not Position.objects.filter(person=theirs, organisation=net.town_a_fed).exists()
