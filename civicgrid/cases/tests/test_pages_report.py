"""Pages of residents, mobile grid members and the public: report, my reports, my record, status."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent, CasePhoto, Category
from civicgrid.cases.tests.conftest import PATHS, jpeg, report, walk
from conftest import PASSWORD

REPORT = reverse("cases:report")
MINE = reverse("cases:mine")
RECORD = reverse("cases:mobile_record")
STATUS = reverse("cases:public_status")


def photo_file(name: str = "pothole.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(), content_type="image/jpeg")


def form_data(**overrides) -> dict:
    data = {
        "lon": "120.705",
        "lat": "31.605",
        "address": "甲一村东门",
        "category": "C0201",
        "description": "路面有一个大坑",
        "reporter_phone": "13912345678",
        "is_public": "on",
        "idempotency_key": "9f1c2b7e4a5d4c3b8e6f0a1b2c3d4e5f",
        "photos": [photo_file()],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def done_number(response) -> str:
    assert response.status_code == 302, response.content[:2000]
    match = re.search(r"done=([0-9-]+)", response.url)
    assert match, response.url
    return match.group(1)


@pytest.fixture
def mobile_member(world):
    user = user_create(username="rider", password=PASSWORD, display_name="骑手小陈", phone="13800000010")
    role_assign(user=user, role="mobile_grid_member", place=world.town_a)
    return user


# --- Snap-and-report -----------------------------------------------------------------------------


def test_it_shows_the_report_form_to_anyone(client, world):
    response = client.get(REPORT)
    assert response.status_code == 200
    text = response.text
    assert 'capture="environment"' in text
    assert 'name="idempotency_key"' in text
    # Every category grouped by major class, with no "photo required" tail on each entry: the page
    # asks for a photo when the category chosen needs one (its rules come in the configuration).
    assert '<optgroup label="Roads and traffic">' in text
    assert re.search(r'<option value="C0201">Damaged road or pothole</option>', text)
    assert "photo required" not in text
    rules = response.context["category_config"]["rules"]
    assert rules["C0201"] == {
        "photo": True,
        "describe": False,
        "phrases": [
            "A pothole people trip on",
            "The road surface is cracked and sinking",
            "Loose paving stones",
        ],
    }
    assert rules["E0601"]["describe"] is True and rules["E0601"]["photo"] is False
    # The common problems as large icons, in their order, "Other problems" last.
    tiles = re.findall(r'data-quick-code="(\w+)"', text)
    assert tiles[:3] == ["E0101", "C0301", "C0102"] and len(tiles) == 11
    assert "Other problems" in text
    # The grids around are drawn under the pin.
    assert '"outlines"' in text


def test_each_rendering_gets_its_own_idempotency_key(client, world):
    keys = {
        re.search(r'name="idempotency_key" value="([0-9a-f]+)"', client.get(REPORT).text).group(1)
        for _ in range(2)
    }
    assert len(keys) == 2


def test_an_anonymous_visitor_reports_with_a_photo(client, world):
    number = done_number(client.post(REPORT, form_data()))
    case = Case.objects.get(tracking_number=number)
    assert case.reporter is None
    assert case.source == Case.Source.RESIDENT
    assert case.grid_id == world.grid_a1a.pk
    assert case.reporter_phone == "13912345678"
    assert case.address == "甲一村东门"
    assert CasePhoto.objects.filter(case=case, kind="report").count() == 1
    done = client.get(f"{REPORT}?done={number}")
    assert done.status_code == 200
    assert f'id="tracking-number" class="tracking-number__value">{number}<' in done.text
    assert reverse("cases:public_status_number", args=[number]) in done.text
    assert MINE not in done.text.split('id="main"')[1]  # anonymous: no "my reports"


def test_a_signed_in_resident_reports_as_a_resident(login, world):
    client = login(world.resident)
    number = done_number(client.post(REPORT, form_data()))
    case = Case.objects.get(tracking_number=number)
    assert case.reporter == world.resident
    assert case.source == Case.Source.RESIDENT
    assert MINE in client.get(f"{REPORT}?done={number}").text


def test_a_mobile_grid_member_reports_as_one(login, world, mobile_member):
    client = login(mobile_member)
    assert "Mobile grid member" in client.get(REPORT).text
    number = done_number(client.post(REPORT, form_data()))
    assert Case.objects.get(tracking_number=number).source == Case.Source.MOBILE


def test_a_double_submit_creates_one_case(client, world):
    first = done_number(client.post(REPORT, form_data()))
    second = done_number(client.post(REPORT, form_data()))
    assert first == second
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1


def test_it_shows_field_errors_next_to_the_fields_and_writes_nothing(client, world):
    response = client.post(
        REPORT, form_data(description="", reporter_phone="12345", category="", address="桥下")
    )
    assert response.status_code == 400
    text = response.text
    assert Case.objects.count() == 0
    assert re.search(r'id="id_category_error"><li>Choose a category from the list.', text)
    assert "Describe the problem." in text
    assert "Enter a mobile number (11 digits) or a landline with area code." in text
    # What was typed is kept; files are not, and the page says so.
    assert 'value="桥下"' in text
    assert 'value="120.705"' in text
    assert "choose them again" in text


def test_it_refuses_a_photo_required_category_without_a_photo(client, world):
    response = client.post(REPORT, form_data(photos=None))
    assert response.status_code == 400
    assert re.search(r'id="id_photos_error"><li>This category needs at least one photo.', response.text)
    assert Case.objects.count() == 0


def test_it_takes_a_category_without_photo_requirement_without_a_photo(client, world):
    number = done_number(client.post(REPORT, form_data(photos=None, category="C0303")))
    assert not CasePhoto.objects.filter(case__tracking_number=number).exists()


def test_it_asks_for_the_location(client, world):
    response = client.post(REPORT, form_data(lon="", lat=""))
    assert response.status_code == 400
    assert "Set the location" in response.text
    assert Case.objects.count() == 0


def test_it_refuses_a_file_that_is_not_a_photo_next_to_the_photos(client, world):
    fake = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    response = client.post(REPORT, form_data(photos=[fake]))
    assert response.status_code == 400
    assert 'id="id_photos_error"><li>Photo 1:' in response.text
    assert Case.objects.count() == 0


def test_the_received_page_is_only_for_the_session_that_reported(client, world):
    number = done_number(client.post(REPORT, form_data()))
    other = Client(headers={"Accept-Language": "en"})
    response = other.get(f"{REPORT}?done={number}")
    assert response.status_code == 302
    assert response.url == REPORT


def test_the_report_page_is_in_chinese_by_default(world):
    response = Client().get(REPORT)
    assert response.status_code == 200
    assert '<html lang="zh-hans"' in response.text
    assert "道路破损坑洼" in response.text


# --- My reports ----------------------------------------------------------------------------------


def test_my_reports_sends_anonymous_visitors_to_sign_in(client, world):
    response = client.get(MINE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_my_reports_lists_only_the_users_own_cases(login, world, category):
    mine = report(world, category)
    other = report(world, category, reporter=world.village_cadre)
    response = login(world.resident).get(MINE)
    assert response.status_code == 200
    assert mine.tracking_number in response.text
    assert other.tracking_number not in response.text
    assert "state-reported" in response.text


def test_my_reports_shows_an_empty_state(login, world):
    response = login(world.outsider).get(MINE)
    assert response.status_code == 200
    assert "No reports yet" in response.text
    assert REPORT in response.text


@pytest.fixture
def no_photo_category(db) -> Category:
    return Category.objects.get(code="C0303")


def test_my_reports_paginates(login, world, no_photo_category):
    for _ in range(23):
        report(world, no_photo_category, photos=[])
    client = login(world.resident)
    first = client.get(MINE)
    assert first.text.count('data-case="') == 20
    assert "Page 1 of 2" in first.text
    assert client.get(MINE, {"page": 2}).text.count('data-case="') == 3


def test_my_reports_reads_the_same_number_of_queries_for_3_and_12_cases(login, world, no_photo_category):
    client = login(world.resident)

    def queries(n: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        while Case.objects.filter(reporter=world.resident).count() < n:
            report(world, no_photo_category, photos=[])
        with CaptureQueriesContext(connection) as captured:
            response = client.get(MINE)
        assert response.text.count('data-case="') == n
        return len(captured)

    three, twelve = queries(3), queries(12)
    assert three == twelve
    assert twelve <= 8


# --- A mobile grid member's record ---------------------------------------------------------------


def test_the_record_is_only_for_mobile_grid_members(login, world):
    response = login(world.resident).get(RECORD)
    assert response.status_code == 403


def test_the_record_shows_the_members_figures_and_reports(login, world, mobile_member):
    hazard = Category.objects.get(code="C0104")
    lead = report(world, hazard, reporter=mobile_member, source=Case.Source.MOBILE)
    walk(world, lead, PATHS["accepted"])
    report(world, hazard, reporter=mobile_member, source=Case.Source.MOBILE)
    response = login(mobile_member).get(RECORD)
    assert response.status_code == 200
    assert re.search(r'data-stat="reported">2<', response.text)
    assert re.search(r'data-stat="accepted">1<', response.text)
    assert re.search(r'data-stat="hazards">1<', response.text)
    assert lead.tracking_number in response.text
    assert REPORT in response.text


# --- Public status -------------------------------------------------------------------------------


def test_the_status_page_shows_a_lookup_box_to_anyone(client, world):
    response = client.get(STATUS)
    assert response.status_code == 200
    assert 'name="number"' in response.text


def test_the_lookup_box_leads_to_the_cases_own_address(client, case_in):
    case = case_in("accepted")
    response = client.get(STATUS, {"number": case.tracking_number})
    assert response.status_code == 302
    assert response.url == reverse("cases:public_status_number", args=[case.tracking_number])


def test_the_status_page_shows_the_public_timeline_without_personal_data(client, cw, category):
    case = report(cw, category, reporter_phone="13912345678", lon=120.70537, lat=31.60512)
    case = walk(cw, case, PATHS["checking"])
    response = client.get(reverse("cases:public_status_number", args=[case.tracking_number]))
    assert response.status_code == 200
    text = response.text
    assert case.tracking_number in text
    assert "Damaged road or pothole" in text
    assert "Resolved" in text and "Sign for it" in text and "Dispatch to an agency" in text
    for private in (
        "13912345678",
        "139****5678",
        cw.resident.display_name,
        cw.grid_worker.display_name,
        cw.agency_staff.display_name,
        cw.town_operator.display_name,
        "需村里协调",  # notes stay internal
        "120.70537",  # only the rounded point
        "31.60512",
    ):
        assert private not in text, private
    # Report and result photos are shown as thumbnails; check photos are not.
    kinds = set(CasePhoto.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == {"report", "result"}
    assert text.count("/thumb/") == 2


def test_the_status_page_says_clearly_when_a_number_is_unknown(client, world):
    response = client.get(reverse("cases:public_status_number", args=["20990101-0001"]))
    assert response.status_code == 404
    assert 'data-status="not-found"' in response.text


def test_the_status_page_does_not_show_a_private_case(client, world, category):
    case = report(world, category, is_public=False)
    response = client.get(reverse("cases:public_status_number", args=[case.tracking_number]))
    assert response.status_code == 404


def test_the_status_page_links_a_merged_case_to_the_one_it_joined(client, cw, category):
    first = report(cw, category)
    second = report(cw, category)
    services.case_act(case=second, action="merge", actor=cw.grid_worker, merge_into=first)
    response = client.get(reverse("cases:public_status_number", args=[second.tracking_number]))
    assert response.status_code == 200
    assert reverse("cases:public_status_number", args=[first.tracking_number]) in response.text
    assert "state-merged" in response.text
