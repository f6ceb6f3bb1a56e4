"""The register's pages: who gets them, and what adding, correcting, merging and importing do."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicgrid.addresses.models import Address
from civicgrid.addresses.tests.conftest import add
from civicgrid.addresses.tests.test_importer import WORKBOOK, xlsx


def test_the_register_opens_on_the_grid_workers_grid(world, login):
    client = login(world.grid_worker)
    add(world.grid_a1a)
    page = client.get("/addresses/")
    assert page.status_code == 200 and page.context["place"] == world.grid_a1a
    assert "解放路88号" in page.content.decode()
    assert page.context["counts"]["active"] == 1


def test_the_navigation_has_the_register_for_keepers_only(world, login):
    assert 'data-nav="addresses"' in login(world.grid_worker).get("/").content.decode()
    assert 'data-nav="addresses"' not in login(world.resident).get("/").content.decode()


def test_outsiders_get_403_and_404(world, login):
    address = add(world.grid_a1a)
    client = login(world.resident)
    assert client.get("/addresses/").status_code == 403
    assert client.get(f"/addresses/{address.pk}/").status_code == 403
    client = login(world.outsider)
    assert client.get(f"/addresses/{address.pk}/").status_code == 404
    assert client.get(f"/addresses/in/{world.grid_a1a.code}/").status_code == 403
    assert client.post(f"/addresses/{address.pk}/retire/").status_code == 404
    assert client.get("/addresses/import/").status_code == 403
    assert Address.objects.get(pk=address.pk).status == Address.Status.ACTIVE
    anonymous = Client()
    assert anonymous.get("/addresses/").status_code == 302


def test_a_list_page_is_keyset_paged_with_bounded_queries(world, login):
    for n in range(35):
        add(world.grid_a1a, number=str(n + 1))
    client = login(world.village_cadre)
    url = f"/addresses/in/{world.grid_a1a.code}/"
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(url)
    assert len(first.context["page"].items) == 30
    assert len(queries) < 20
    cursor = first.context["page"].next_cursor
    second = client.get(url, {"after": cursor})
    assert len(second.context["page"].items) == 5
    assert not {a.pk for a in first.context["page"].items} & {a.pk for a in second.context["page"].items}
    # A made-up cursor gives the first page, not an error.
    assert client.get(url, {"after": "zz.1"}).status_code == 200


def test_the_search_box_finds_by_text(world, login):
    add(world.grid_a1a, road="解放路", number="88")
    add(world.grid_a1a, road="人民路", number="1")
    page = login(world.grid_worker).get(f"/addresses/in/{world.grid_a1a.code}/", {"q": "人民"})
    assert [a.road for a in page.context["results"]] == ["人民路"]


def test_a_village_page_lists_its_grids_and_a_town_page_its_villages(world, login):
    add(world.grid_a1a)
    add(world.grid_a1b, number="2")
    village = login(world.town_operator).get(f"/addresses/in/{world.village_a1.code}/")
    assert [(c.place.code, c.active) for c in village.context["children"]] == [
        (world.grid_a1a.code, 1),
        (world.grid_a1b.code, 1),
    ]
    town = login(world.town_operator).get(f"/addresses/in/{world.town_a.code}/")
    assert [(c.place.code, c.active) for c in town.context["children"]] == [(world.village_a1.code, 2)]
    assert town.context["page"] is None


def test_adding_from_the_form_and_a_duplicate_shows_its_link(world, login):
    client = login(world.grid_worker)
    url = f"/addresses/add/?in={world.grid_a1a.code}"
    assert client.get(url).status_code == 200
    data = {
        "grid": world.grid_a1a.code,
        "road": "解放路",
        "number": "88",
        "lon": "120.705",
        "lat": "31.605",
        "crs": "wgs84",
    }
    response = client.post(url, data)
    address = Address.objects.get()
    assert response.status_code == 302 and response.url == f"/addresses/{address.pk}/"
    again = client.post(url, data)
    assert again.status_code == 400
    assert f'href="/addresses/{address.pk}/"' in again.content.decode()
    outside = client.post(url, {**data, "number": "90", "lon": "120.805"})
    assert outside.status_code == 400 and "not in" in outside.content.decode()
    assert Address.objects.count() == 1
    # Another grid is not offered, nor taken.
    assert client.get(f"/addresses/add/?in={world.grid_a1b.code}").status_code == 403


def test_correcting_merging_and_retiring_from_the_pages(world, login):
    client = login(world.grid_worker)
    survivor = add(world.grid_a1a, number="1")
    duplicate = add(world.grid_a1a, number="101")
    response = client.post(
        f"/addresses/{survivor.pk}/edit/",
        {"grid": world.grid_a1a.code, "road": "解放路", "number": "2", "lon": "", "lat": "", "crs": "wgs84"},
    )
    assert response.status_code == 302
    detail = client.get(f"/addresses/{survivor.pk}/").content.decode()
    assert "解放路1号" in detail  # the former name
    search = client.get(f"/addresses/{survivor.pk}/merge/", {"q": "解放"})
    assert [a.pk for a in search.context["results"]] == [duplicate.pk]
    confirm = client.get(f"/addresses/{survivor.pk}/merge/", {"duplicate": duplicate.pk})
    assert confirm.context["chosen"] == duplicate
    assert client.post(f"/addresses/{survivor.pk}/merge/", {"duplicate": duplicate.pk}).status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk
    assert (
        client.post(f"/addresses/{survivor.pk}/aliases/", {"text": "老邮局", "kind": "alias"}).status_code
        == 302
    )
    assert survivor.aliases.filter(text="老邮局").exists()
    assert client.post(f"/addresses/{survivor.pk}/retire/").status_code == 302
    survivor.refresh_from_db()
    assert survivor.status == Address.Status.RETIRED


def test_the_import_page_checks_keeps_the_upload_and_commits(world, login):
    client = login(world.town_operator)
    assert client.get("/addresses/import/").status_code == 200
    upload = io.BytesIO(xlsx(WORKBOOK))
    upload.name = "register.xlsx"
    checked = client.post("/addresses/import/", {"step": "check", "file": upload})
    assert checked.status_code == 200
    assert checked.context["counts"] == {"created": 4, "exists": 1, "failed": 4}
    assert not Address.objects.exists()
    token = checked.context["token"]
    done = client.post("/addresses/import/", {"step": "commit", "token": token})
    assert done.context["committed"] and Address.objects.count() == 4
    # The token is spent.
    assert client.post("/addresses/import/", {"step": "commit", "token": token}).status_code == 400


def test_the_import_page_refuses_a_file_that_is_not_a_workbook(world, login):
    client = login(world.town_operator)
    fake = io.BytesIO(b"not a zip")
    fake.name = "register.xlsx"
    response = client.post("/addresses/import/", {"step": "check", "file": fake})
    assert response.status_code == 400 and not Address.objects.exists()


def test_the_template_downloads_as_a_workbook(world, login):
    response = login(world.town_operator).get("/addresses/import/template.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.active["A1"].value == "网格编码"
    assert login(world.grid_worker).get("/addresses/import/template.xlsx").status_code == 403


@pytest.mark.parametrize("path", ["/addresses/in/{grid}/", "/addresses/add/?in={grid}"])
def test_pages_speak_chinese_by_default(world, path):
    client = Client()
    client.force_login(world.grid_worker)
    response = client.get(path.format(grid=world.grid_a1a.code))
    assert response.status_code == 200
    assert '<html lang="zh-hans"' in response.content.decode()
