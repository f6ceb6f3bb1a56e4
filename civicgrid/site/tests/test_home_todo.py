"""The home page opens with what the person has to do now, in their own words."""

from __future__ import annotations

from django.test import Client

from civicgrid.cases.tests.conftest import case_in, category, cw, jpeg  # noqa: F401 - fixtures


def test_a_resident_gets_the_report_button_and_no_staff_words(world, login):
    body = login(world.resident).get("/").content.decode()
    assert 'class="btn btn-primary btn-lg btn-block" href="/cases/report/"' in body
    assert "Your roles and the places they cover." not in body
    assert "Open this place" not in body


def test_a_grid_worker_sees_the_counts_of_their_queues(world, login):
    from civicgrid.cases.models import Case, Category
    from civicgrid.cases.services import case_create

    case_create(
        reporter=world.resident,
        source=Case.Source.RESIDENT,
        category=Category.objects.get(code="C0201"),
        description="路面坑洼",
        lon=120.705,
        lat=31.605,
        photos=[jpeg()],
    )
    body = login(world.grid_worker).get("/").content.decode()
    assert "To do now" in body and "To verify" in body and "/cases/work/?queue=verify" in body


def test_the_chinese_home_of_a_resident(world):
    client = Client()
    client.force_login(world.resident)
    assert "我要上报" in client.get("/").content.decode()


def test_a_resident_is_asked_to_rate_a_solved_report_one_tap_from_the_form(world, login, case_in):  # noqa: F811
    case = case_in("resolved")
    body = login(world.resident).get("/").content.decode()
    assert "Solved: tell us how it went" in body
    assert f'href="{case.get_absolute_url()}?do=rate#actions"' in body
    page = login(world.resident).get(f"{case.get_absolute_url()}?do=rate").content.decode()
    assert 'data-action="rate" open' in page
