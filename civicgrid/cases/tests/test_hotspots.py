"""Hotspots (civicgrid.cases.hotspots): rising categories from the kept figures, repeat locations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from civicgrid.cases import hotspots
from civicgrid.cases import overview as ov
from civicgrid.cases.models import Category
from civicgrid.cases.tests.conftest import backdate, report
from civicgrid.cases.tests.test_figures import clock  # noqa: F401 - fixture

# About 11 m apart in latitude (0.0001°); the fourth is ~330 m away.
SPOT = [(120.705, 31.6050), (120.705, 31.6051), (120.7051, 31.6050)]
FAR = (120.705, 31.6080)


def test_three_reports_at_one_spot_are_a_repeat_location_and_a_fourth_far_away_is_not(cw, category):
    numbers = {report(cw, category, lon=lon, lat=lat).tracking_number for lon, lat in SPOT}
    report(cw, category, lon=FAR[0], lat=FAR[1])
    spots = hotspots.repeat_spots(user=cw.town_operator)
    assert len(spots) == 1
    assert {c.number for c in spots[0].cases} == numbers
    assert spots[0].lat == pytest.approx(31.60503, abs=1e-4)
    # Another town's operator sees none of them; the outsider (a grid worker elsewhere) neither.
    assert hotspots.repeat_spots(user=cw.outsider) == []
    assert [s.count for s in ov.repeat_locations(user=cw.town_operator).spots] == [3]
    with pytest.raises(ov.PermissionDenied):
        ov.repeat_locations(user=cw.resident)


def test_reports_older_than_the_window_do_not_count(cw, category):

    cases = [report(cw, category, lon=lon, lat=lat) for lon, lat in SPOT]
    backdate(cases[0], days=hotspots.REPEAT_DAYS + 1)
    assert hotspots.repeat_spots(user=cw.town_operator) == []


def test_a_category_rises_against_as_many_days_before(cw, category, clock):  # noqa: F811
    other = Category.objects.get(code="C0601")
    clock("2026-03-05 10:00")  # the week before: one pothole
    report(cw, category)
    clock("2026-03-12 10:00")  # this week: four potholes, three street lights
    for _ in range(4):
        report(cw, category)
    for _ in range(3):
        report(cw, other, photos=[])
    places = [cw.town_a.pk]
    rising = hotspots.rising_categories(places=places, start=date(2026, 3, 9), end=date(2026, 3, 15))
    assert [(r.category.code, r.now, r.before) for r in rising] == [
        (other.parent.code, 3, 0),  # new this week: first
        (category.parent.code, 4, 1),
    ]
    assert rising[1].change == pytest.approx(3.0)
    # Fewer than RISING_MIN cases never rise.
    assert hotspots.rising_categories(places=places, start=date(2026, 3, 2), end=date(2026, 3, 8)) == []


def test_the_api_and_the_page_carry_the_hotspots(cw, category, client, login):
    for lon, lat in SPOT:
        report(cw, category, lon=lon, lat=lat)
    login(cw.town_operator)
    data = client.get("/api/v1/cases/overview", {"period": "30d"}).json()
    assert data["rising"][0]["new"] == 3
    spots = client.get("/api/v1/cases/overview/repeat-locations").json()
    assert len(spots) == 1 and len(spots[0]["cases"]) == 3
    page = client.get("/cases/work/overview/").content.decode()
    assert "/cases/work/overview/repeat-locations/" in page
    fragment = client.get("/cases/work/overview/repeat-locations/").content.decode()
    assert spots[0]["cases"][0] in fragment
    assert (
        client.get("/api/v1/cases/overview/repeat-locations", {"region": cw.town_b.code}).status_code == 403
    )
    login(cw.resident)
    assert client.get("/cases/work/overview/repeat-locations/").status_code == 403


def test_live_repeat_locations_are_kept_a_few_minutes_per_user_and_say_when_they_were_found(
    cw, category, client, login
):
    for lon, lat in SPOT:
        report(cw, category, lon=lon, lat=lat)
    first = ov.repeat_locations(user=cw.town_operator)
    assert [s.count for s in first.spots] == [3]
    # A fourth report at the spot: the kept answer stands until it expires ...
    report(cw, category, lon=SPOT[0][0], lat=SPOT[0][1])
    assert ov.repeat_locations(user=cw.town_operator) == first
    # ... while another user, or another area, is found afresh (never another user's answer) ...
    assert [s.count for s in ov.repeat_locations(user=cw.city_admin).spots] == [4]
    assert [s.count for s in ov.repeat_locations(user=cw.town_operator, region=cw.town_a.code).spots] == [4]
    # ... and the access rule is checked on every call, kept answer or not.
    with pytest.raises(ov.PermissionDenied):
        ov.repeat_locations(user=cw.town_operator, region=cw.town_b.code)
    login(cw.town_operator)
    response = client.get("/api/v1/cases/overview/repeat-locations")
    assert len(response.json()[0]["cases"]) == 3 and response["Last-Modified"]
    fragment = client.get("/cases/work/overview/repeat-locations/").content.decode()
    assert f"as of {timezone.localtime(first.as_of):%H:%M}" in fragment
    # Expired, they are found again.
    cache.clear()
    assert [s.count for s in ov.repeat_locations(user=cw.town_operator).spots] == [4]
    # A window that ended (a month's report) is kept by its end.
    end = timezone.now() + timedelta(minutes=1)
    ended = ov.repeat_locations(user=cw.town_operator, now=end)
    assert [s.count for s in ended.spots] == [4] and ended.as_of == end
    report(cw, category, lon=SPOT[0][0], lat=SPOT[0][1])
    assert ov.repeat_locations(user=cw.town_operator, now=end) == ended
