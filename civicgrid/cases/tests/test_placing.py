"""Placing an unrouted case in its grid: from the address register or on the map (`cases.placing`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.addresses import matching
from civicgrid.addresses import services as address_services
from civicgrid.addresses.matching import Match
from civicgrid.addresses.models import Address
from civicgrid.cases import placing, services
from civicgrid.cases.models import Case, CaseEvent, HotlineOrder
from civicgrid.core.errors import ApplicationError, PermissionDenied

# Between grid A1b (ends at lon 120.72) and B1a (starts at 120.80): in town A's unrouted queue.
OUTSIDE = (120.725, 31.605)
IN_A1B = (120.715, 31.605)


def unrouted_order(world, category, *, number="12345-0001", address_text="甲镇幸福路8号") -> Case:
    case = services.case_create(
        reporter=None,
        actor=world.town_operator,
        source=Case.Source.HOTLINE,
        category=category,
        description="楼下垃圾三天没人清运",
        lon=OUTSIDE[0],
        lat=OUTSIDE[1],
        address=address_text,
        reporter_name="张来电",
        reporter_phone="13900000001",
        is_public=False,
        external_ref=number,
        photos=[],
    ).case
    HotlineOrder.objects.create(
        case=case,
        order_number=number,
        address_text=address_text,
        received_at=timezone.now() - timedelta(hours=1),
        due_at=timezone.now() + timedelta(days=3),
        confidence=0.62,
        kind=HotlineOrder.Kind.COMPLAINT,
    )
    assert not case.routed and case.grid_id is None
    return case


def register_address(world, grid=None, *, lon=120.716, lat=31.606, text="幸福路8号") -> Address:
    grid = grid or world.grid_a1b
    return Address.objects.create(
        grid=grid,
        grid_code=grid.code,
        road="幸福路",
        number="8号",
        text=text,
        key="幸福路8",
        lon=lon,
        lat=lat,
    )


@pytest.fixture
def remembered(monkeypatch):
    """Record the calls of `placement_remember` (a skeleton while the register's keeping is built)."""
    calls = []

    def fake(**kw):
        calls.append(kw)
        return None

    monkeypatch.setattr(address_services, "placement_remember", fake)
    return calls


def test_it_places_an_order_by_the_address_picked_from_the_register(cw, category, remembered):
    case = unrouted_order(cw, category)
    address = register_address(cw)
    placed = placing.case_place(case=case, user=cw.town_operator, address_id=str(address.pk))
    assert (placed.grid, placed.village, placed.routed) == (cw.grid_a1b, cw.village_a1, True)
    assert (placed.lon, placed.lat) == (120.716, 31.606)
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.action == "assign_grid"
    assert event.data["placed_by"] == "address" and event.data["grid"] == cw.grid_a1b.code
    order = HotlineOrder.objects.get(case=case)
    assert (order.routed_by, order.address) == ("placed", address)
    assert remembered == [{"text": "甲镇幸福路8号", "user": cw.town_operator, "address": address}]


def test_it_places_an_order_on_the_map_and_moves_its_point(cw, category, remembered):
    case = unrouted_order(cw, category)
    placed = placing.case_place(case=case, user=cw.village_cadre, lon=IN_A1B[0], lat=IN_A1B[1])
    assert (placed.grid, placed.routed) == (cw.grid_a1b, True)
    assert (placed.lon, placed.lat) == IN_A1B
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.data["placed_by"] == "map" and event.data["point"] == list(IN_A1B)
    assert HotlineOrder.objects.get(case=case).routed_by == "placed"
    assert remembered == [
        {
            "text": "甲镇幸福路8号",
            "user": cw.village_cadre,
            "grid": cw.grid_a1b,
            "lon": IN_A1B[0],
            "lat": IN_A1B[1],
        }
    ]


def test_the_order_takes_the_address_the_placement_made(cw, category, monkeypatch):
    case = unrouted_order(cw, category)
    made = register_address(cw, text="甲镇幸福路8号")

    class Alias:
        address = made

    monkeypatch.setattr(address_services, "placement_remember", lambda **kw: Alias())
    placing.case_place(case=case, user=cw.town_operator, lon=IN_A1B[0], lat=IN_A1B[1])
    assert HotlineOrder.objects.get(case=case).address == made


def test_a_report_without_an_address_is_placed_and_keeps_no_alias(cw, category, remembered):
    case = services.case_create(
        reporter=cw.resident, source=Case.Source.RESIDENT, category=category, description="路灯不亮",
        lon=OUTSIDE[0], lat=OUTSIDE[1], photos=[_jpeg()],
    ).case  # fmt: skip
    placed = placing.case_place(case=case, user=cw.town_operator, lon=IN_A1B[0], lat=IN_A1B[1])
    assert placed.grid == cw.grid_a1b
    assert remembered == []


def _jpeg() -> bytes:
    from civicgrid.cases.tests.conftest import jpeg

    return jpeg()


@pytest.mark.parametrize("persona", ["grid_worker", "outsider", "agency_staff", "resident"])
def test_it_denies_who_may_not_place_and_changes_nothing(cw, category, remembered, persona):
    case = unrouted_order(cw, category)
    with pytest.raises(PermissionDenied):
        placing.case_place(case=case, user=getattr(cw, persona), lon=IN_A1B[0], lat=IN_A1B[1])
    case.refresh_from_db()
    assert (case.grid_id, case.routed, case.lon) == (None, False, OUTSIDE[0])
    assert remembered == []


def test_it_refuses_a_point_in_no_grid_and_changes_nothing(cw, category, remembered):
    case = unrouted_order(cw, category)
    with pytest.raises(ApplicationError) as exc:
        placing.case_place(case=case, user=cw.town_operator, lon=120.75, lat=31.605)
    assert "point" in exc.value.extra["fields"]
    case.refresh_from_db()
    assert (case.grid_id, case.routed) == (None, False)
    assert HotlineOrder.objects.get(case=case).routed_by == ""
    assert remembered == []


def test_it_refuses_a_grid_of_another_town(cw, category, remembered):
    case = unrouted_order(cw, category)
    other = register_address(cw, cw.grid_b1a, lon=120.805, lat=31.605)
    with pytest.raises(ApplicationError) as exc:
        placing.case_place(case=case, user=cw.town_operator, address_id=other.pk)
    assert "address" in exc.value.extra["fields"]
    with pytest.raises(ApplicationError) as exc:
        placing.case_place(case=case, user=cw.town_operator, lon=120.805, lat=31.605)
    assert "grid" in exc.value.extra["fields"]
    case.refresh_from_db()
    assert case.grid_id is None and remembered == []


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"address_id": "1", "lon": "120.715", "lat": "31.605"},
        {"address_id": "x"},
        {"lon": "abc", "lat": "1"},
    ],
)
def test_it_refuses_bad_input(cw, category, remembered, given):
    case = unrouted_order(cw, category)
    with pytest.raises(ApplicationError):
        placing.case_place(case=case, user=cw.town_operator, **given)
    case.refresh_from_db()
    assert case.grid_id is None and remembered == []


def test_a_failing_alias_leaves_the_case_unplaced(cw, category, monkeypatch):
    case = unrouted_order(cw, category)

    def broken(**kw):
        raise ApplicationError("register refused", code="invalid")

    monkeypatch.setattr(address_services, "placement_remember", broken)
    with pytest.raises(ApplicationError):
        placing.case_place(case=case, user=cw.town_operator, lon=IN_A1B[0], lat=IN_A1B[1])
    case.refresh_from_db()
    assert (case.grid_id, case.routed) == (None, False)
    assert not CaseEvent.objects.filter(case=case, action="assign_grid").exists()


def test_a_routed_case_is_not_placed_again(cw, category, remembered):
    case = unrouted_order(cw, category)
    placing.case_place(case=case, user=cw.town_operator, lon=IN_A1B[0], lat=IN_A1B[1])
    case.refresh_from_db()
    with pytest.raises(PermissionDenied):
        placing.case_place(case=case, user=cw.town_operator, lon=IN_A1B[0], lat=IN_A1B[1])


def test_only_assign_grid_moves_a_point(cw, category):
    case = unrouted_order(cw, category)
    with pytest.raises(ApplicationError) as exc:
        services.case_act(case=case, action="accept", actor=cw.village_cadre, point=IN_A1B)
    assert "point" in exc.value.extra["fields"]


# ---------------------------------------------------------------------------------------------
# The page


def test_the_page_shows_the_confidence_the_guesses_and_the_map(cw, category, login, monkeypatch):
    case = unrouted_order(cw, category)
    address = register_address(cw)
    asked = []

    def fake_candidates(text, *, within=None, limit=8):
        asked.append((text, within, limit))
        return [
            Match(
                grid_id=cw.grid_a1b.pk,
                confidence=0.74,
                method="similar",
                address_id=address.pk,
                text="幸福路8号",
            )
        ]

    monkeypatch.setattr(matching, "candidates", fake_candidates)
    response = login(cw.town_operator).get(reverse("cases:place", args=[case.tracking_number]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "甲镇幸福路8号" in body and "62%" in body and "74%" in body
    assert f'data-guess="{address.pk}"' in body
    assert asked == [("甲镇幸福路8号", cw.town_a, 8)]
    config = response.context["config"]
    assert config["point"] == [OUTSIDE[1], OUTSIDE[0]]
    assert {o["name"] for o in config["outlines"]} == {cw.grid_a1a.name, cw.grid_a1b.name}
    # Another search text.
    login(cw.town_operator).get(reverse("cases:place", args=[case.tracking_number]), {"q": "幸福路"})
    assert asked[-1][0] == "幸福路"


def test_the_page_places_on_the_map_and_goes_back_to_the_queue(cw, category, login, remembered):
    case = unrouted_order(cw, category)
    client = login(cw.town_operator)
    response = client.post(
        reverse("cases:place", args=[case.tracking_number]), {"lon": IN_A1B[0], "lat": IN_A1B[1]}
    )
    assert response.status_code == 302 and response["Location"] == reverse("cases:map")
    case.refresh_from_db()
    assert case.grid == cw.grid_a1b
    # Placed meanwhile: its page.
    again = client.get(reverse("cases:place", args=[case.tracking_number]))
    assert again.status_code == 302 and again["Location"] == case.get_absolute_url()


def test_the_page_shows_a_refused_point(cw, category, login, remembered):
    case = unrouted_order(cw, category)
    response = login(cw.town_operator).post(
        reverse("cases:place", args=[case.tracking_number]), {"lon": "120.75", "lat": "31.605"}
    )
    assert response.status_code == 400
    assert "That point lies in no grid" in response.content.decode()


@pytest.mark.parametrize("persona", ["grid_worker", "agency_staff"])
def test_the_page_denies_who_may_not_place(cw, category, login, persona):
    case = unrouted_order(cw, category)
    url = reverse("cases:place", args=[case.tracking_number])
    assert login(getattr(cw, persona)).get(url).status_code in (403, 404)


def test_the_page_hides_a_case_from_an_outsider(cw, category, login):
    case = unrouted_order(cw, category)
    url = reverse("cases:place", args=[case.tracking_number])
    assert login(cw.outsider).get(url).status_code == 404
    assert login(cw.outsider).post(url, {"lon": IN_A1B[0], "lat": IN_A1B[1]}).status_code == 404


def test_the_unrouted_queue_and_the_case_page_link_the_placing_page(cw, category, login):
    case = unrouted_order(cw, category)
    url = reverse("cases:place", args=[case.tracking_number])
    client = login(cw.town_operator)
    assert url in client.get(reverse("cases:map")).content.decode()
    assert url in client.get(case.get_absolute_url()).content.decode()
    # A grid worker sees no such link.
    assert url not in login(cw.grid_worker).get(reverse("cases:map")).content.decode()
