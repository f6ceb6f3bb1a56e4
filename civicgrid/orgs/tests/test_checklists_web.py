"""Checklist pages and API: they render (English client), act through the same services, refuse outsiders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.orgs import checklists
from civicgrid.orgs.models import ChecklistTemplate, Evidence, Task
from civicgrid.orgs.tests.test_checklists import first_task, pdf, photo

API = "/api/v1/orgs/checklists"


# --- Pages --------------------------------------------------------------------------------------


def test_the_overview_shows_completion_and_overdue_items_in_red(login, net):
    task = first_task(net.town_a_fed)
    client = login(net.cadre)
    response = client.get("/orgs/checklists/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Set-up checklists" in html and "Town A" in html and "Street B" in html
    assert f'data-task="{task.pk}"' in html and "badge-red" in html and "days late" in html
    # Drill down into Town A.
    response = client.get("/orgs/checklists/?place=329981001")
    assert response.status_code == 200 and "Village A1" in response.content.decode()


def test_the_overview_refuses_another_district_and_strangers(login, net, client):
    assert client.get("/orgs/checklists/").status_code == 302  # to the login page
    response = login(net.other_cadre).get("/orgs/checklists/?place=329981")
    assert response.status_code == 403
    assert login(net.world.resident).get("/orgs/checklists/").status_code == 403
    assert login(net.cadre).get("/orgs/checklists/?place=000000").status_code == 404


def test_the_overview_has_an_empty_state(login, net):
    Task.objects.update(status=Task.Status.VERIFIED)
    html = login(net.cadre).get("/orgs/checklists/").content.decode()
    assert "Nothing overdue" in html


def test_mark_done_on_the_page_with_a_file_then_verify_and_reopen(login, net):
    task = first_task(net.town_a_fed)
    client = login(net.cadre)
    url = f"/orgs/{net.town_a_fed.pk}/checklist/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mark done" in html and 'accept="image/*,application/pdf"' in html and "一次启动会" in html

    refused = client.post(url, {"task": task.pk, "action": "done", "note": "开了"})
    assert refused.status_code == 400 and "needs evidence" in refused.content.decode()
    done = client.post(url, {"task": task.pk, "action": "done", "note": "开了", "files": [photo(), pdf()]})
    assert done.status_code == 302 and done["Location"] == url
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.evidence.count() == 2

    # The doer cannot verify: the button is not offered, and a forged POST is refused.
    assert "Verify</button>" not in client.get(url).content.decode()
    assert client.post(url, {"task": task.pk, "action": "verify"}).status_code == 403

    city = login(net.city_cadre)
    html = city.get(url).content.decode()
    assert "Verify</button>" in html and "Send back" in html
    back = city.post(url, {"task": task.pk, "action": "reopen", "reason": ""})
    assert back.status_code == 400
    city.post(url, {"task": task.pk, "action": "reopen", "reason": "照片不清楚", "next": "/orgs/"})
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN and task.note == "照片不清楚"


def test_the_checklist_page_refuses_another_district(login, net):
    task = first_task(net.town_a_fed)
    client = login(net.other_cadre)
    url = f"/orgs/{net.town_a_fed.pk}/checklist/"
    assert client.get(url).status_code == 403
    response = client.post(url, {"task": task.pk, "action": "done", "files": [photo()]})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN


def test_evidence_is_served_only_to_those_who_may_see_the_organisation(login, net):
    task = first_task(net.town_a_fed)
    checklists.task_done(actor=net.cadre, task=task, files=[photo()])
    item = Evidence.objects.get(task=task)
    client = login(net.cadre)
    response = client.get(f"/orgs/evidence/{item.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert login(net.world.town_operator).get(f"/orgs/evidence/{item.pk}/").status_code == 200
    assert login(net.other_cadre).get(f"/orgs/evidence/{item.pk}/").status_code == 404


def test_the_checklist_partial_renders_for_the_organisation_page(rf, net):
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = net.cadre
    html = render_to_string(
        "orgs/_checklist.html",
        {"checklist": checklists.checklist_for(net.cadre, net.town_a_fed), "next": "/orgs/1/"},
        request=request,
    )
    assert 'name="next" value="/orgs/1/"' in html and "Set-up checklist" in html


def test_templates_page_lists_and_makes_a_new_version(login, net):
    client = login(net.city_cadre)
    template = ChecklistTemplate.objects.get(name="6个1")
    page = client.get(f"/orgs/checklists/templates/?from={template.pk}")
    assert page.status_code == 200
    assert "一次启动会 | 15 |" in page.content.decode()
    response = client.post(
        "/orgs/checklists/templates/",
        {"name": "6个1", "items": "一次启动会 | 10 | 开会\n一份礼包 | 20 | | no", "kinds": []},
    )
    assert response.status_code == 302
    new = ChecklistTemplate.objects.get(name="6个1", version=2)
    assert [(i.title, i.due_days, i.needs_evidence) for i in new.items.all()] == [
        ("一次启动会", 10, True),
        ("一份礼包", 20, False),
    ]
    # A district cadre sees the list but no form, and a POST is refused.
    other = login(net.cadre)
    assert "New template or new version" not in other.get("/orgs/checklists/templates/").content.decode()
    assert other.post("/orgs/checklists/templates/", {"name": "x", "items": "a"}).status_code == 403


def test_structure_page_shows_met_and_short(login, net):
    client = login(net.city_cadre)
    assert "No structure targets yet" in client.get("/orgs/structure/").content.decode()
    response = client.post(
        "/orgs/structure/",
        {
            "name": "每区两个龙头企业妇联",
            "kind": "enterprise_fed",
            "leading_only": "on",
            "level": "district",
            "required": 1,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    html = client.get("/orgs/structure/").content.decode()
    assert 'data-place="329981" data-met="1"' in html and 'data-place="329982" data-met="0"' in html
    assert login(net.cadre).post("/orgs/structure/", {"name": "x"}).status_code == 403


# --- API ----------------------------------------------------------------------------------------


def test_api_checklist_done_verify_reopen(login, net):
    task = first_task(net.town_a_fed)
    client = login(net.cadre)
    answer = client.get(f"{API}/orgs/{net.town_a_fed.pk}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == 6 and body["tasks"][0]["id"] == task.pk and body["tasks"][0]["can_done"]

    missing = client.post(f"{API}/tasks/{task.pk}/done", {"note": "x"})
    assert missing.status_code == 400 and "files" in missing.json()["extra"]["fields"]
    done = client.post(f"{API}/tasks/{task.pk}/done", {"note": "开了", "files": [photo(), pdf()]})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done" and len(done.json()["evidence"]) == 2
    assert client.post(f"{API}/tasks/{task.pk}/done", {"files": [photo()]}).status_code == 409
    assert client.post(f"{API}/tasks/{task.pk}/verify").status_code == 403  # the doer

    city = login(net.city_cadre)
    verified = city.post(f"{API}/tasks/{task.pk}/verify")
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    bad = city.post(f"{API}/tasks/{task.pk}/reopen", {"reason": ""}, content_type="application/json")
    assert bad.status_code == 400
    back = city.post(f"{API}/tasks/{task.pk}/reopen", {"reason": "重来"}, content_type="application/json")
    assert back.status_code == 200 and back.json()["status"] == "open" and back.json()["note"] == "重来"


def test_api_refusals(client, login, net):
    task = first_task(net.town_a_fed)
    assert client.get(f"{API}/orgs/{net.town_a_fed.pk}").status_code == 401
    other = login(net.other_cadre)
    assert other.get(f"{API}/orgs/{net.town_a_fed.pk}").status_code == 404
    assert other.post(f"{API}/tasks/{task.pk}/done", {"files": [photo()]}).status_code == 404
    assert other.get(f"{API}/completion?place=329981").status_code == 403
    assert other.get(f"{API}/overdue?place=nope").status_code == 404
    viewer = login(net.world.town_operator)  # sees Town A, changes nothing
    assert viewer.post(f"{API}/tasks/{task.pk}/done", {"files": [photo()]}).status_code == 403
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN


def test_api_overdue_completion_templates_structure(login, net):
    from civicgrid.orgs import structure

    Task.objects.filter(organisation=net.other_fed).update(due_on=timezone.localdate() + timedelta(days=3))
    client = login(net.city_cadre)
    first = client.get(f"{API}/overdue?size=5").json()
    assert len(first["items"]) == 5 and first["next"]
    rest = client.get(f"{API}/overdue", {"after": first["next"], "size": 200}).json()
    assert rest["next"] == ""
    every = first["items"] + rest["items"]
    assert net.other_fed.pk not in {r["organisation_id"] for r in every}
    assert len(every) == 7 * 6  # eight organisations, one with nothing overdue

    completion = client.get(f"{API}/completion").json()
    assert completion["place_code"] == "329900"
    assert {r["place_code"] for r in completion["rows"]} >= {"329981", "329982"}
    assert completion["total"]["organisations"] == 8

    templates = client.get(f"{API}/templates").json()
    assert templates[0]["name"] == "6个1" and len(templates[0]["items"]) == 6

    structure.structure_set(
        actor=net.city_cadre, name="每镇一个妇联", kind="town_fed", level="town", required=1
    )
    report = client.get(f"{API}/structure").json()
    rows = {r["place_code"]: r for r in report[0]["regions"]}
    assert rows["329981001"]["met"] and rows["329982001"]["met"]
    assert bad_request(client)


def bad_request(client) -> bool:
    return client.get(f"{API}/overdue?after=garbage").status_code == 400


@pytest.mark.parametrize("path", ["/orgs/checklists/", "/orgs/checklists/templates/", "/orgs/structure/"])
def test_pages_render_for_a_staff_viewer(login, net, path):
    assert login(net.world.town_operator).get(path).status_code == 200


def test_the_checklist_page_speaks_chinese_by_default(net):
    from django.test import Client

    client = Client()
    client.force_login(net.cadre)
    html = client.get(f"/orgs/{net.town_a_fed.pk}/checklist/").content.decode()
    assert "组建清单" in html and "标记完成" in html
