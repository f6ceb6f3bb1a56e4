"""The task board's pages: the public board (published only, filters, keyset pages, a pinned query
count), a matter's page and its step forms, drafts, "my matters", and the progress photos served
only to those allowed."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from civicgrid.core.models import AuditEntry
from civicgrid.governance import services_board
from civicgrid.governance.models import Matter, MatterPhoto, MatterUpdate
from civicgrid.governance.tests.board_setup import board_world, draft, jpeg, matter_in

BOARD = "/governance/board/"


@pytest.fixture
def bw(gw):
    return board_world(gw)


def _detail(matter: Matter) -> str:
    return reverse("governance:board_detail", args=[matter.pk])


# --- The public board ----------------------------------------------------------------------------


def test_the_public_board_shows_every_published_matter_with_its_state_and_never_a_draft(bw, client):
    states = ["open", "claimed", "completed", "verified", "withdrawn"]
    for state in states:
        matter_in(bw, state, title=f"事项-{state}")
    draft(bw, title="尚未发布的草稿")
    response = client.get(BOARD)
    assert response.status_code == 200
    html = response.content.decode()
    for state in states:
        assert f"事项-{state}" in html
        assert f'data-state="{state}"' in html
    assert "尚未发布的草稿" not in html
    # The public may not ask for drafts: the filter is not offered, and asking shows the published ones.
    assert 'data-state-filter="draft"' not in html
    asked = client.get(BOARD, {"state": "draft"}).content.decode()
    assert "尚未发布的草稿" not in asked and "事项-open" in asked


def test_the_board_filters_by_state_town_and_village(bw, client):
    in_grid = matter_in(bw, "open", title="网格里的事")
    matter_in(bw, "claimed", title="已认领的事")
    town_wide = matter_in(bw, "open", title="全镇的事", region=bw.town_a)
    elsewhere = matter_in(bw, "open", title="乙街道的事", region=bw.village_b1, actor=bw.town_b_operator)
    html = client.get(BOARD, {"state": "open"}).content.decode()
    assert "网格里的事" in html and "已认领的事" not in html
    html = client.get(BOARD, {"town": bw.town_a.code}).content.decode()
    assert {"网格里的事", "已认领的事", "全镇的事"} <= set(re.findall(r"[\u4e00-\u9fff]+的事", html))
    assert elsewhere.title not in html
    html = client.get(BOARD, {"town": bw.town_a.code, "village": bw.village_a1.code}).content.decode()
    assert in_grid.title in html and town_wide.title not in html
    html = client.get(BOARD, {"village": bw.village_b1.code}).content.decode()
    assert elsewhere.title in html and in_grid.title not in html
    empty = client.get(BOARD, {"state": "verified"}).content.decode()
    assert "No matter matches these filters" in empty


def test_the_board_pages_by_keyset_newest_published_first(bw, client):
    for n in range(23):
        matter_in(bw, "open", title=f"第{n:02d}号事项")
    first = client.get(BOARD).content.decode()
    titles = re.findall(r"第(\d\d)号事项", first)
    assert titles == [f"{n:02d}" for n in range(22, 2, -1)]
    cursor = re.search(r'cursor=([^"&]+)" rel="next"', first).group(1)
    second = client.get(BOARD + "?cursor=" + cursor).content.decode()
    assert re.findall(r"第(\d\d)号事项", second) == ["02", "01", "00"]
    assert 'rel="next"' not in second
    assert client.get(BOARD, {"cursor": "b.x.y"}).status_code == 404


def test_the_board_list_costs_the_same_number_of_queries_for_3_or_30_matters(
    bw, client, django_assert_num_queries
):
    for state in ("open", "claimed", "verified"):
        matter_in(bw, state)
    # Towns for the filter, the page.
    with django_assert_num_queries(2):
        client.get(BOARD)
    for _n in range(27):
        matter_in(bw, "open", region=bw.village_a1)
    with django_assert_num_queries(2):
        assert len(re.findall(r"data-matter=", client.get(BOARD).content.decode())) == 20
    # With a town chosen: the town, its villages, the towns, the page.
    with django_assert_num_queries(4):
        client.get(BOARD, {"town": bw.town_a.code})


def test_a_signed_in_officer_reads_the_board_with_a_fixed_number_of_queries(
    bw, client, django_assert_num_queries
):
    for _n in range(5):
        matter_in(bw, "claimed")
    client.force_login(bw.town_operator)
    # Session, user, roles, the navigation's reads, the towns, the page.
    with django_assert_num_queries(8):
        client.get(BOARD)
    for _n in range(20):
        matter_in(bw, "completed", region=bw.village_a1)
    with django_assert_num_queries(8):
        client.get(BOARD)


def test_publishers_read_their_drafts_on_the_board_and_others_do_not(bw, client):
    draft(bw, title="甲镇的草稿")
    draft(bw, title="乙街道的草稿", region=bw.village_b1, actor=bw.town_b_operator)
    client.force_login(bw.town_operator)
    html = client.get(BOARD, {"state": "draft"}).content.decode()
    assert 'data-state-filter="draft"' in html
    assert "甲镇的草稿" in html and "乙街道的草稿" not in html
    client.force_login(bw.town_b_operator)
    html = client.get(BOARD, {"state": "draft"}).content.decode()
    assert "甲镇的草稿" not in html and "乙街道的草稿" in html
    for persona in ("outsider", "resident", "agency_staff", "resident_b"):
        client.force_login(getattr(bw, persona))
        html = client.get(BOARD, {"state": "draft"}).content.decode()
        assert "草稿" not in html, persona


# --- A matter's page -----------------------------------------------------------------------------


def test_anyone_reads_a_published_matter_with_its_claimant_plan_and_record(bw, client):
    matter = matter_in(bw, "completed")
    html = client.get(_detail(matter)).content.decode()
    for text in (matter.title, matter.need, "市水务局", "两周内完成改造。", "扶手已安装。", "¥30,000"):
        assert text in html, text
    assert 'data-state="completed"' in html
    # The public reads the sides, not the staff's names, and sees no step to take.
    assert "周水务" not in html and "钱指挥" not in html
    assert 'data-step="' not in html
    assert html.count('data-update="') == 4


@pytest.mark.parametrize("persona", [None, "outsider", "agency_staff", "resident", "resident_b"])
def test_a_draft_is_not_found_for_those_who_may_not_read_it(bw, client, persona):
    matter = draft(bw)
    if persona:
        client.force_login(getattr(bw, persona))
    assert client.get(_detail(matter)).status_code == 404


def test_the_publisher_reads_a_draft_and_may_change_and_publish_it(bw, client):
    matter = draft(bw)
    client.force_login(bw.village_cadre)
    html = client.get(_detail(matter)).content.decode()
    assert 'data-step="publish"' in html and "data-board-edit" in html
    response = client.post(
        reverse("governance:board_edit", args=[matter.pk]),
        {
            "title": "改过的标题",
            "need": matter.need,
            "budget": "25000",
            "region": bw.grid_a1b.code,
            "deadline": matter.deadline.isoformat(),
            "version": matter.version,
            "publish": "1",
        },
    )
    assert response.status_code == 302
    matter.refresh_from_db()
    assert (matter.title, matter.region, matter.state) == ("改过的标题", bw.grid_a1b, "open")


def test_an_agency_claims_from_the_page_and_a_second_claimant_gets_a_clear_409(bw, client):
    matter = matter_in(bw, "open")
    url = reverse("governance:board_act", args=[matter.pk, "claim"])
    client.force_login(bw.agency_staff)
    html = client.get(_detail(matter)).content.decode()
    assert "You claim it for <strong>市水务局</strong>" in html
    form = {"claim-version": matter.version, "claim-text": "两周内完成。"}
    response = client.post(url, form)
    assert response.status_code == 302 and response["Location"] == _detail(matter)
    matter.refresh_from_db()
    assert (matter.state, matter.claimant_agency, matter.claimed_by) == (
        "claimed",
        bw.agency,
        bw.agency_staff,
    )
    # The second claimant's form was drawn while it was open.
    other = Client(headers={"Accept-Language": "en"})
    other.force_login(bw.agency_b_staff)
    counts = MatterUpdate.objects.count(), AuditEntry.objects.count()
    refused = other.post(url, form)
    assert refused.status_code == 409
    assert "市水务局 claimed this matter before you" in refused.content.decode()
    assert (MatterUpdate.objects.count(), AuditEntry.objects.count()) == counts


def test_a_claim_without_a_plan_shows_the_error_next_to_the_field(bw, client):
    matter = matter_in(bw, "open")
    client.force_login(bw.agency_staff)
    response = client.post(
        reverse("governance:board_act", args=[matter.pk, "claim"]), {"claim-version": matter.version}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Matter.objects.get(pk=matter.pk).state == "open"


def test_the_town_records_a_claim_for_an_enterprise_from_the_page(bw, client):
    matter = matter_in(bw, "open")
    client.force_login(bw.town_operator)
    response = client.post(
        reverse("governance:board_act", args=[matter.pk, "claim"]),
        {
            "claim-version": matter.version,
            "claim-text": "企业自筹完成。",
            "claim-claimant_kind": "enterprise",
            "claim-claimant_name": "澄湖建设有限公司",
        },
    )
    assert response.status_code == 302
    matter.refresh_from_db()
    assert (matter.claimant_kind, matter.claimant_name) == ("enterprise", "澄湖建设有限公司")


def test_the_claimant_is_not_offered_verification_and_is_refused_it(bw, client):
    matter = matter_in(bw, "completed")
    client.force_login(bw.agency_staff)
    html = client.get(_detail(matter)).content.decode()
    assert 'data-step="verify"' not in html and 'data-step="return"' not in html
    response = client.post(
        reverse("governance:board_act", args=[matter.pk, "verify"]), {"verify-version": matter.version}
    )
    assert response.status_code == 403
    assert Matter.objects.get(pk=matter.pk).state == "completed"
    client.force_login(bw.village_cadre)
    assert 'data-step="verify"' in client.get(_detail(matter)).content.decode()
    response = client.post(
        reverse("governance:board_act", args=[matter.pk, "verify"]),
        {"verify-version": matter.version, "verify-text": "现场查看，合格。"},
    )
    assert response.status_code == 302
    assert Matter.objects.get(pk=matter.pk).state == "verified"


@pytest.mark.parametrize("persona", ["outsider", "resident", "grid_worker", "town_b_operator"])
def test_an_outsider_may_take_no_step(bw, client, persona):
    matter = matter_in(bw, "claimed")
    client.force_login(getattr(bw, persona))
    assert 'data-step="' not in client.get(_detail(matter)).content.decode()
    response = client.post(
        reverse("governance:board_act", args=[matter.pk, "progress"]),
        {"progress-version": matter.version, "progress-text": "冒充的进展"},
    )
    assert response.status_code == 403
    assert not MatterUpdate.objects.filter(text="冒充的进展").exists()


def test_a_step_needs_a_signed_in_person(bw, client):
    matter = matter_in(bw, "open")
    response = client.post(reverse("governance:board_act", args=[matter.pk, "claim"]), {"claim-text": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Photos --------------------------------------------------------------------------------------


def _progress_with_photo(bw, client) -> tuple[Matter, MatterPhoto]:
    matter = matter_in(bw, "claimed")
    client.force_login(bw.agency_staff)
    response = client.post(
        reverse("governance:board_act", args=[matter.pk, "progress"]),
        {
            "progress-version": matter.version,
            "progress-text": "扶手已装好一半。",
            "progress-photos": [
                SimpleUploadedFile("site.jpg", jpeg((30, 120, 60), (400, 300)), "image/jpeg")
            ],
        },
    )
    assert response.status_code == 302
    client.logout()
    return matter, MatterPhoto.objects.get(update__matter=matter, update__text="扶手已装好一半。")


def _photo(matter: Matter, photo: MatterPhoto, size: str) -> str:
    return reverse("governance:board_photo", args=[matter.pk, photo.pk, size])


def test_a_progress_photo_is_served_as_a_thumbnail_to_anyone_and_in_full_to_insiders(bw, client):
    matter, photo = _progress_with_photo(bw, client)
    thumb = client.get(_photo(matter, photo, "thumb"))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert thumb["Cache-Control"] == "private, max-age=3600"
    assert client.get(_photo(matter, photo, "full")).status_code == 404
    html = client.get(_detail(matter)).content.decode()
    assert _photo(matter, photo, "thumb") in html and _photo(matter, photo, "full") not in html
    for persona in ("outsider", "resident", "agency_b_staff"):
        client.force_login(getattr(bw, persona))
        assert client.get(_photo(matter, photo, "full")).status_code == 404, persona
    for persona in ("agency_staff", "village_cadre", "town_operator", "grid_worker", "city_admin"):
        client.force_login(getattr(bw, persona))
        assert client.get(_photo(matter, photo, "full")).status_code == 200, persona
    client.force_login(bw.village_cadre)
    assert _photo(matter, photo, "full") in client.get(_detail(matter)).content.decode()


def test_a_photo_is_not_found_under_another_matter_or_size(bw, client):
    matter, photo = _progress_with_photo(bw, client)
    other = matter_in(bw, "open")
    assert client.get(_photo(other, photo, "thumb")).status_code == 404
    assert client.get(f"/governance/board/{matter.pk}/photos/{photo.pk}/big/").status_code == 404


def test_a_progress_report_refuses_a_file_that_is_not_a_photo(bw, client):
    matter = matter_in(bw, "claimed")
    client.force_login(bw.agency_staff)
    response = client.post(
        reverse("governance:board_act", args=[matter.pk, "progress"]),
        {
            "progress-version": matter.version,
            "progress-text": "进展",
            "progress-photos": [SimpleUploadedFile("x.jpg", b"%PDF-1.4 not a photo", "image/jpeg")],
        },
    )
    assert response.status_code == 400
    assert "Photo 1:" in response.content.decode()
    assert not MatterUpdate.objects.filter(matter=matter, kind="progress").exists()


# --- New matters, my matters ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["resident", "agency_staff", "grid_worker", "outsider"])
def test_only_publishers_open_the_new_matter_form(bw, client, persona):
    client.force_login(getattr(bw, persona))
    assert client.get(reverse("governance:board_new")).status_code == 403


def test_a_town_operator_publishes_a_matter_from_the_form(bw, client):
    client.force_login(bw.town_operator)
    form = client.get(reverse("governance:board_new")).content.decode()
    assert f'value="{bw.grid_a1a.code}"' in form and bw.grid_b1a.code not in form
    response = client.post(
        reverse("governance:board_new"),
        {
            "title": "村口路灯更换",
            "need": "村口 6 盏路灯损坏。",
            "budget": "8000",
            "region": bw.village_a1.code,
            "deadline": "2099-12-31",
            "publish": "1",
        },
    )
    matter = Matter.objects.get(title="村口路灯更换")
    assert response.status_code == 302 and response["Location"] == _detail(matter)
    assert matter.state == "open" and matter.publisher == bw.town_a


def test_the_form_refuses_a_place_outside_the_publishers_region(bw, client):
    client.force_login(bw.village_cadre)
    response = client.post(
        reverse("governance:board_new"),
        {"title": "越界", "need": "x", "region": bw.grid_b1a.code, "deadline": "2099-12-31", "draft": "1"},
    )
    assert response.status_code == 403
    assert not Matter.objects.exists()


def test_my_matters_lists_what_the_agency_claimed(bw, client):
    mine = matter_in(bw, "claimed", title="水务局认领的事")
    matter_in(bw, "open", title="还没人认领的事")
    client.force_login(bw.agency_staff)
    html = client.get(reverse("governance:board_mine")).content.decode()
    assert mine.title in html and "还没人认领的事" not in html
    client.force_login(bw.agency_b_staff)
    html = client.get(reverse("governance:board_mine")).content.decode()
    assert mine.title not in html and "Your agency has claimed no matter yet" in html


def test_my_matters_lists_a_villages_drafts_for_its_cadre(bw, client):
    draft(bw, title="村里的草稿", actor=bw.village_cadre)
    draft(bw, title="乙街道的草稿", region=bw.village_b1, actor=bw.town_b_operator)
    client.force_login(bw.village_cadre)
    html = client.get(reverse("governance:board_mine")).content.decode()
    assert "村里的草稿" in html and "乙街道的草稿" not in html


@pytest.mark.parametrize("persona", ["resident", "grid_worker", "outsider"])
def test_my_matters_is_refused_to_those_who_neither_claim_nor_publish(bw, client, persona):
    client.force_login(getattr(bw, persona))
    assert client.get(reverse("governance:board_mine")).status_code == 403


def test_the_co_governance_hub_offers_the_board(bw, client):
    """The hub (the navigation's 共治 entry) links the board for everyone, "my matters" for a claimant."""
    client.force_login(bw.agency_staff)
    assert reverse("governance:hub") in client.get("/").content.decode()
    html = client.get(reverse("governance:hub")).content.decode()
    assert reverse("governance:board_mine") in html and BOARD in html
    client.force_login(bw.resident)
    html = client.get(reverse("governance:hub")).content.decode()
    assert BOARD in html and reverse("governance:board_mine") not in html
    client.logout()
    assert BOARD in client.get("/").content.decode()


def test_a_step_is_recorded_once_per_state_even_when_the_page_is_sent_twice(bw, client):
    matter = matter_in(bw, "claimed")
    client.force_login(bw.agency_staff)
    form = {"complete-version": matter.version, "complete-text": "全部完成。"}
    url = reverse("governance:board_act", args=[matter.pk, "complete"])
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 409
    assert MatterUpdate.objects.filter(matter=matter, kind="completed").count() == 1
    assert services_board.step_of("completed", "complete") is None


@pytest.mark.parametrize("persona", ["outsider", "agency_staff", "town_b_operator", "grid_worker"])
def test_only_the_publisher_opens_a_drafts_edit_form(bw, client, persona):
    matter = draft(bw)
    client.force_login(getattr(bw, persona))
    assert client.get(reverse("governance:board_edit", args=[matter.pk])).status_code in (403, 404)
    client.force_login(bw.town_operator)
    assert client.get(reverse("governance:board_edit", args=[matter.pk])).status_code == 200


def test_the_htmx_pager_gets_the_list_alone(bw, client):
    matter_in(bw, "open", title="翻页的事")
    response = client.get(BOARD, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "翻页的事" in html and "<html" not in html
