"""Excel export of the command centre's list (`exports.case_export`, `GET /cases/work/export.xlsx`)."""

from __future__ import annotations

import copy
import tracemalloc
from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.cases import exports
from civicgrid.cases.models import Case
from civicgrid.cases.selectors import CaseFilters
from civicgrid.cases.tests.conftest import PATHS, report, walk
from civicgrid.core.models import AuditEntry

URL = reverse("cases:export")
CENTRE = reverse("cases:centre")


def workbook(response):
    assert response.status_code == 200, response.content[:500]
    return load_workbook(BytesIO(b"".join(response.streaming_content)))


def numbers(book) -> list[str]:
    return [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]


@pytest.fixture
def cases(cw, category):
    """Cases of town A in several steps (one dispatched with a co-handling agency), one of town B."""
    a = [
        walk(cw, report(cw, category), PATHS[state])
        for state in ("reported", "town", "in_progress", "closed")
    ]
    co = walk(cw, report(cw, category), PATHS["town"])
    co = walk(cw, co, [("dispatch", "town_operator", {"agency": "agency", "co_agencies": [cw.agency_b]})])
    b = report(cw, category, lon=120.805)
    assert b.town_id == cw.town_b.pk
    return {"a": [*a, co], "b": b, "co": co}


@pytest.mark.parametrize("query", ["", "?state=all", "?state=town", "?category=C02", "?region=329981001001"])
def test_it_holds_exactly_the_cases_of_the_centres_list(login, cw, cases, query):
    client = login(cw.town_operator)
    shown = [c.tracking_number for c in client.get(CENTRE + query).context["cases"]]
    exported = numbers(workbook(client.get(URL + query)))
    assert exported == shown
    assert cases["b"].tracking_number not in exported


def test_another_towns_cases_never_appear(login, cw, cases):
    exported = numbers(workbook(login(cw.town_operator).get(URL + "?state=all")))
    assert sorted(exported) == sorted(c.tracking_number for c in cases["a"])
    assert cases["b"].tracking_number not in exported


@pytest.mark.parametrize("who", ["resident", "grid_worker", "outsider", "agency_staff"])
def test_it_denies_those_without_the_centre(login, cw, cases, who):
    response = login(getattr(cw, who)).get(URL)
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="cases.export").exists()


def test_it_needs_a_sign_in(client, cw):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


def test_it_holds_no_personal_data(login, cw, cases):
    response = login(cw.town_operator).get(URL + "?state=all")
    book = workbook(response)
    text = " ".join(str(v) for row in book.active.iter_rows(values_only=True) for v in row if v is not None)
    for case in cases["a"]:
        assert case.reporter_phone == "" or case.reporter_phone not in text
    assert cw.resident.phone not in text
    assert cw.resident.display_name not in text
    assert "13800000001" not in text


def test_it_writes_the_row_as_the_case_reads(login, cw, cases):
    co = cases["co"]
    book = workbook(login(cw.town_operator).get(URL + "?state=all"))
    header = [c for c in next(book.active.iter_rows(max_row=1, values_only=True))]
    rows = {
        row[0]: dict(zip(header, row, strict=True))
        for row in book.active.iter_rows(min_row=2, values_only=True)
    }
    row = rows[co.tracking_number]
    assert row["Town"] == "Town A"
    assert row["Village"] == "Village A1"
    assert row["Current step"] == "Dispatched, to sign for"
    assert row["Lead agency"] == "Water Bureau"
    assert row["Co-handling agencies"] == "Power"
    assert row["Overdue"] == "No"
    assert row["Category (minor class)"] == co.category.display_name
    closed = rows[cases["a"][3].tracking_number]
    assert closed["Solved (rating)"] == "Solved"
    assert closed["Satisfaction"] == "Satisfied"
    assert isinstance(closed["Closed at"], datetime)


def test_dates_are_local_excel_datetimes(login, cw, cases, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    case = cases["co"]
    book = workbook(login(cw.town_operator).get(URL + "?state=all"))
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == case.tracking_number:
            reported = row[10]
            assert isinstance(reported.value, datetime)
            assert reported.is_date
            assert reported.number_format == exports.DATE_FORMAT
            local = case.created_at.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
            assert abs((reported.value - local).total_seconds()) < 1
            assert isinstance(row[11].value, datetime)  # the step deadline
            break
    else:
        pytest.fail("case not exported")
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold


def test_the_header_is_chinese_by_default(cw, cases):
    client = Client()  # no Accept-Language: the zh-hans default
    client.force_login(cw.town_operator)
    response = client.get(URL)
    header = next(workbook(response).active.iter_rows(max_row=1, values_only=True))
    assert header[0] == "受理编号"
    assert "是否超期" in header
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    assert response["Content-Type"] == exports.CONTENT_TYPE


def test_the_cap_refuses_a_longer_list_and_writes_nothing(login, cw, cases, settings):
    settings.CASE_EXPORT_MAX_ROWS = 2
    response = login(cw.town_operator).get(URL + "?state=all")
    assert response.status_code == 400
    assert "more than 2 cases" in response.content.decode()
    assert not AuditEntry.objects.filter(action="cases.export").exists()
    settings.CASE_EXPORT_MAX_ROWS = len(cases["a"])
    assert login(cw.town_operator).get(URL + "?state=all").status_code == 200


def test_an_export_is_audited_with_its_filters_and_count(login, cw, cases):
    workbook(login(cw.town_operator).get(URL + "?state=all&category=C02"))
    entry = AuditEntry.objects.get(action="cases.export")
    assert entry.actor == cw.town_operator
    assert entry.changes["rows"] == len(cases["a"])
    assert entry.changes["filters"]["category"] == "C02"
    assert entry.place_code == cw.town_a.code


def test_the_centre_links_to_the_export_of_its_filters(login, cw, cases):
    client = login(cw.town_operator)
    page = client.get(CENTRE + "?state=all&category=C02").content.decode()
    assert f'href="{URL}?state=all&amp;category=C02"' in page
    fragment = client.get(CENTRE + "?state=town", headers={"HX-Request": "true"}).content.decode()
    assert f'href="{URL}?state=town"' in fragment


def test_its_queries_grow_with_chunks_not_rows(cw, cases, category, monkeypatch):
    """Each chunk costs one read of the co-agencies: no query per case."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    filters = CaseFilters(open_only=False)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            written = exports.case_export(user=cw.town_operator, filters=filters)
        written.file.close()
        co = [q for q in captured.captured_queries if "co_agencies" in q["sql"] and "IN (" in q["sql"]]
        return written.rows, len(co)

    rows, co_reads = queries()
    assert rows == len(cases["a"])  # 5 cases in chunks of 2: 3 chunks
    assert co_reads == 3
    extra = walk(cw, report(cw, category), PATHS["town"])
    walk(cw, extra, [("dispatch", "town_operator", {"agency": "agency", "co_agencies": [cw.agency_b]})])
    assert queries() == (rows + 1, 3)


def test_its_memory_is_bounded_by_a_chunk_not_by_the_list(cw, category, monkeypatch):
    """3,000 cases in chunks of 200: the peak is that of one chunk, far below the whole list's."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 200)
    from civicgrid.cases import counts, figures, services

    first = services.case_create(
        reporter=None,
        actor=cw.town_operator,
        source=Case.Source.HOTLINE,
        external_ref="GD00000",
        category=category,
        description="路面坑洼 0",
        lon=120.701,
        lat=31.601,
    ).case
    # 2,999 more like it, written at once: through intake, PostgreSQL updates the same tallies
    # thousands of times in one test transaction, each update slower than the last (three minutes).
    copies = []
    first = Case.objects.get(pk=first.pk)
    for i in range(1, 3000):
        case = copy.copy(first)
        case.pk = None
        case.tracking_number = f"{first.tracking_number}-{i}"
        case.idempotency_key = None
        case.external_ref = f"GD{i:05d}"
        case.description = f"路面坑洼 {i}"
        case.lon, case.lat = 120.701 + (i % 90) * 0.0001, 31.601 + (i // 90) * 0.0001
        copies.append(case)
    Case.objects.bulk_create(copies, batch_size=500)
    counts.rebuild()
    figures.rebuild()
    filters = CaseFilters()
    tracemalloc.start()
    try:
        written = exports.case_export(user=cw.town_operator, filters=filters)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    written.file.close()
    assert written.rows == 3000
    # Measured: 1.05 MB with chunks of 200; 6.5 MB with the default 2,000 (one chunk is then two thirds
    # of the list). Rows go to the file as they come; openpyxl's write-only mode keeps none.
    assert peak < 3 * 1024 * 1024, peak


def test_it_writes_the_answers_to_the_categorys_questions(login, cw, category):
    from civicgrid.cases.models import CategoryQuestion

    CategoryQuestion.objects.create(
        category=category,
        code="severity",
        label="损坏程度",
        label_en="Damage",
        datatype="singlevaluelist",
        order=1,
        values=[{"key": "broken", "name": "破损", "name_en": "Broken"}],
    )
    CategoryQuestion.objects.create(
        category=category, code="width", label="坑宽", label_en="Width", datatype="number", order=2
    )
    answered = report(cw, category, answers={"severity": "broken", "width": "1.5"})
    plain = report(cw, category)
    book = workbook(login(cw.town_operator).get(URL + "?state=all"))
    header = [c for c in next(book.active.iter_rows(max_row=1, values_only=True))]
    rows = {
        row[0]: dict(zip(header, row, strict=True))
        for row in book.active.iter_rows(min_row=2, values_only=True)
    }
    assert rows[answered.tracking_number]["Answers"] == "Damage: Broken; Width: 1.5"
    assert rows[plain.tracking_number]["Answers"] in ("", None)
