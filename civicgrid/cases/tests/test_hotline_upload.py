"""The 12345 workbook upload page (`/cases/work/hotline-import/`): the command's dry run and commit, on the web."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from civicgrid.cases import hotline
from civicgrid.cases.models import Case, CaseEvent, TrackingCounter
from civicgrid.cases.tests.test_hotline import CHINESE, rows

URL = reverse("cases:hotline_import")


def xlsx(data: list[list], name: str = "orders.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(CHINESE)
    for row in data:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def check(client, upload):
    return client.post(URL, {"step": "check", "file": upload})


def commit(client, token):
    return client.post(URL, {"step": "commit", "token": token})


def report(response) -> dict[int, tuple[str, str]]:
    return {row["number"]: (row["kind"], str(row["label"])) for row in response.context["rows"]}


def test_a_dry_run_reports_each_row_and_writes_nothing(login, cw):
    response = check(login(cw.town_operator), xlsx(rows()))
    assert response.status_code == 200
    assert report(response) == {2: ("created", "Would be created"), 3: ("created", "Would be created")}
    assert response.context["counts"] == {
        "routed": 2,
        "unrouted": 0,
        "repeated": 0,
        "unmapped": 0,
        "failed": 0,
    }
    assert "Confirm import" in response.content.decode()
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not TrackingCounter.objects.exists()


def test_confirming_imports_the_checked_file(login, cw):
    client = login(cw.town_operator)
    token = check(client, xlsx(rows())).context["token"]
    response = commit(client, token)
    assert response.status_code == 200
    assert response.context["committed"]
    first, second = Case.objects.order_by("external_ref")
    assert (first.external_ref, second.external_ref) == ("GD001", "GD002")
    assert first.source == "hotline"
    assert first.events.get().actor == cw.town_operator
    page = response.content.decode()
    assert first.tracking_number in page and second.tracking_number in page
    assert report(response)[2] == ("created", "Case created")
    # The kept file is gone with the session's token: a second confirmation imports nothing more.
    assert hotline.upload_path(token) is None
    again = commit(client, token)
    assert again.status_code == 400
    assert Case.objects.count() == 2


def test_it_reports_duplicates_in_the_file_and_already_filed(login, cw):
    client = login(cw.town_operator)
    twice = rows(rows()[0])  # GD001 again on row 4
    response = check(client, xlsx(twice))
    assert report(response)[4] == ("duplicate", "Duplicate: the same order as row 2")
    commit(client, response.context["token"])
    assert Case.objects.count() == 2
    again = check(client, xlsx(rows()))
    assert report(again)[2] == ("duplicate", "Duplicate: already filed")
    assert Case.objects.get(external_ref="GD001").tracking_number in again.content.decode()
    assert "nothing to import" in again.content.decode()


def test_it_reports_a_bad_row_with_its_reason(login, cw):
    bad = ["GD009", "Z9999", "未知分类", "120.705", "31.605", "", "", "", "", "", ""]
    response = check(login(cw.town_operator), xlsx(rows(bad)))
    kind, _label = report(response)[4]
    assert kind == "error"
    assert response.context["rows"][2]["order_number"] == "GD009"
    assert "问题分类/category" in response.content.decode()
    assert response.context["counts"]["failed"] == 1


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("orders.txt", "工单编号\nGD001\n".encode(), "text/plain"),
            "Choose an Excel workbook (.xlsx) or a .csv file",
        ),
        (
            SimpleUploadedFile("orders.xlsx", b"not a workbook at all", "application/vnd.ms-excel"),
            "not an Excel",
        ),
    ],
)
def test_it_refuses_a_file_that_is_not_a_workbook(login, cw, upload, message):
    response = check(login(cw.town_operator), upload)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Case.objects.exists()


def test_it_refuses_a_workbook_without_the_columns(login, cw):
    book = Workbook()
    book.active.append(["编号", "内容"])
    book.active.append(["1", "x"])
    buffer = BytesIO()
    book.save(buffer)
    response = check(login(cw.town_operator), SimpleUploadedFile("x.xlsx", buffer.getvalue()))
    assert response.status_code == 400
    assert "Columns missing" in response.content.decode()


def test_a_token_not_of_this_session_imports_nothing(login, cw, client):
    token = check(login(cw.town_operator), xlsx(rows())).context["token"]
    client.logout()
    other = login(cw.city_admin)
    response = commit(other, token)
    assert response.status_code == 400
    assert not Case.objects.exists()


@pytest.mark.parametrize("who", ["resident", "grid_worker", "village_cadre", "agency_staff", "outsider"])
def test_it_denies_those_who_may_not_import(login, cw, who):
    client = login(getattr(cw, who))
    assert client.get(URL).status_code == 403
    assert check(client, xlsx(rows())).status_code == 403
    assert not Case.objects.exists()


def test_district_admins_may_import(login, cw):
    assert login(cw.city_admin).get(URL).status_code == 200


def test_the_centre_links_to_it_for_those_who_may_import(login, cw):
    centre = reverse("cases:centre")
    assert URL in login(cw.town_operator).get(centre).content.decode()
    assert URL not in login(cw.village_cadre).get(centre).content.decode()


# ---------------------------------------------------------------------------------------------
# Real exports on the page: unmapped category paths asked once, CSV accepted


def hotline_xlsx(data: list[list]) -> SimpleUploadedFile:
    from civicgrid.cases.tests.test_hotline_exports import SHAPE_HOTLINE

    book = Workbook()
    book.active.append(SHAPE_HOTLINE)
    for row in data:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("export.xlsx", buffer.getvalue(), content_type="application/octet-stream")


def test_the_page_asks_an_unmapped_path_once_then_imports(login, cw, monkeypatch):
    from civicgrid.cases.models import HotlineCategoryMap
    from civicgrid.cases.tests.test_hotline_exports import PATH, hotline_rows

    monkeypatch.setattr("civicgrid.addresses.matching.match", lambda text, within=None: None)
    client = login(cw.town_operator)
    checked = check(client, hotline_xlsx(hotline_rows()))
    assert checked.status_code == 200
    assert checked.context["counts"]["unmapped"] == 3
    [entry] = checked.context["unmapped"]
    assert (entry.path, entry.rows) == (PATH, 3)
    page = checked.content.decode()
    assert "Category paths not mapped yet" in page and "category path not mapped yet" in page
    token = checked.context["token"]

    # An answer to a path not in this file is ignored; the file's own path is saved.
    answered = client.post(
        URL,
        {"step": "map", "token": token, "key": [entry.key, "别的>路径"], "category": ["E0104", "E0601"]},
    )
    assert answered.status_code == 200
    assert answered.context["counts"] == {
        "routed": 0,
        "unrouted": 3,
        "repeated": 0,
        "unmapped": 0,
        "failed": 0,
    }
    assert answered.context["unmapped"] == []
    assert HotlineCategoryMap.objects.get().category.code == "E0104"
    assert not Case.objects.exists()

    committed = commit(client, token)
    assert committed.context["committed"]
    assert Case.objects.filter(category__code="E0104").count() == 3
    # A later export with the path is not asked again.
    later = check(client, hotline_xlsx([["GD9", "", "", "", "", PATH, "又满了", "甲一村", "", ""]]))
    assert later.context["unmapped"] == []
    assert later.context["counts"]["unrouted"] == 1


def test_a_bad_answer_is_shown_and_nothing_is_mapped(login, cw):
    from civicgrid.cases.models import HotlineCategoryMap
    from civicgrid.cases.tests.test_hotline_exports import hotline_rows

    client = login(cw.town_operator)
    checked = check(client, hotline_xlsx(hotline_rows()))
    [entry] = checked.context["unmapped"]
    answered = client.post(
        URL, {"step": "map", "token": checked.context["token"], "key": entry.key, "category": "Z99"}
    )
    assert answered.status_code == 400
    assert entry.key in answered.context["map_errors"]
    assert HotlineCategoryMap.objects.get().category is None


def test_the_page_accepts_a_gb18030_csv(login, cw):
    text = "工单号,业务分类,问题描述,发生地址\nCSV1,E0104,夜间噪声,甲一村3组\n"
    upload = SimpleUploadedFile("export.csv", text.encode("gb18030"), content_type="text/csv")
    client = login(cw.town_operator)
    checked = check(client, upload)
    assert checked.status_code == 200, checked.content.decode()[:2000]
    assert checked.context["counts"]["unrouted"] == 1
    commit(client, checked.context["token"])
    case = Case.objects.get(external_ref="CSV1")
    assert (case.routed, case.village) == (False, cw.village_a1)
