"""The nearby-duplicate finder: radius, window, same category or alike Chinese text, open cases only."""

from __future__ import annotations

import pytest
from django.utils import timezone

from civicgrid.cases import duplicates
from civicgrid.cases.models import Category
from civicgrid.cases.tests.conftest import PATHS, backdate, report, walk

# About 95 m per 0.001° of longitude at 31.6° N; the default radius is 150 m.
HERE = (120.705, 31.605)
NEAR = (120.706, 31.605)  # ~95 m east
FAR = (120.707, 31.605)  # ~190 m east


@pytest.fixture
def bins() -> Category:
    return Category.objects.get(code="C0301")


def found(lon, lat, category, text="", **kw) -> list[str]:
    return [
        s.summary.tracking_number
        for s in duplicates.similar(lon, lat, category, text, now=timezone.now(), **kw)
    ]


def test_bigram_similarity_of_chinese_text():
    assert duplicates.bigrams("井盖 丢了！") == frozenset({"井盖", "盖丢", "丢了"})
    same = duplicates.text_similarity("路口井盖丢了", "路口的井盖丢了，很危险")
    other = duplicates.text_similarity("路口井盖丢了", "垃圾箱满了没人清理")
    assert same >= duplicates.TEXT_THRESHOLD > other == 0.0
    assert duplicates.text_similarity("", "井盖") == 0.0


def test_it_offers_a_case_within_the_radius_and_not_beyond(cw, category):
    near = report(cw, category, lon=NEAR[0], lat=NEAR[1])
    far = report(cw, category, lon=FAR[0], lat=FAR[1])
    numbers = found(*HERE, category)
    assert near.tracking_number in numbers
    assert far.tracking_number not in numbers
    # A wider radius reaches it.
    assert far.tracking_number in found(*HERE, category, radius_m=250)


def test_radius_and_window_come_from_the_settings(cw, category, settings):
    far = report(cw, category, lon=FAR[0], lat=FAR[1])
    settings.CASE_SIMILAR_RADIUS_M = 250
    assert found(*HERE, category) == [far.tracking_number]
    settings.CASE_SIMILAR_WINDOW_DAYS = 0
    assert found(*HERE, category) == []


def test_it_offers_a_case_within_the_window_and_not_older(cw, category):
    recent = backdate(report(cw, category), days=6)
    old = backdate(report(cw, category, description="另一个坑"), days=8)
    numbers = found(*HERE, category)
    assert recent.tracking_number in numbers
    assert old.tracking_number not in numbers
    assert old.tracking_number in found(*HERE, category, window_days=10)


def test_same_category_or_alike_chinese_text_and_not_an_unrelated_report(cw, category, bins):
    same_category = report(cw, category, description="这里有个坑")
    alike_text = report(cw, bins, description="路口的井盖丢了，晚上很危险")
    unrelated = report(cw, bins, description="垃圾箱满了没人清理")
    numbers = found(*HERE, category, "路口井盖丢了")
    assert same_category.tracking_number in numbers
    assert alike_text.tracking_number in numbers
    assert unrelated.tracking_number not in numbers
    # Text alone (no category chosen yet) finds only the alike text.
    assert found(*HERE, None, "路口井盖丢了") == [alike_text.tracking_number]
    # Neither a category nor words: nothing to compare.
    assert found(*HERE, None, "") == []


@pytest.mark.parametrize("state", ["closed", "rejected"])
def test_a_case_no_longer_open_is_not_offered(cw, category, state):
    ended = walk(cw, report(cw, category), PATHS[state])
    assert ended.state == state
    resolved = walk(cw, report(cw, category), PATHS["resolved"])
    assert found(*HERE, category) == [resolved.tracking_number]


def test_a_private_case_and_ones_own_reports_are_not_offered(cw, category):
    private = report(cw, category, is_public=False)
    mine = report(cw, category, reporter=cw.grid_worker)
    assert found(*HERE, category) == [mine.tracking_number]
    assert private.tracking_number not in found(*HERE, category)
    assert found(*HERE, category, exclude_reporter_id=cw.grid_worker.pk) == []


def test_limit_and_order_nearest_and_most_alike_first(cw, category, bins):
    a = report(cw, category, lon=120.7055, lat=31.605)  # ~47 m
    b = report(cw, category, lon=HERE[0], lat=HERE[1])  # here
    c = report(cw, category, lon=NEAR[0], lat=NEAR[1])  # ~95 m
    assert found(*HERE, category) == [b.tracking_number, a.tracking_number, c.tracking_number]
    assert found(*HERE, category, limit=2) == [b.tracking_number, a.tracking_number]
    # Words alike as well put a farther case of the same category first.
    d = report(cw, category, lon=NEAR[0], lat=NEAR[1], description="路口井盖丢了")
    assert found(*HERE, category, "路口井盖丢了")[0] == d.tracking_number
    items = duplicates.similar(*HERE, category, "", now=timezone.now())
    assert [round(s.distance_m, -1) for s in items][:2] == [0.0, 50.0]
    assert all(s.same_category for s in items)


def test_it_reads_a_bounded_number_of_queries(cw, category, django_assert_max_num_queries):
    for _ in range(3):
        report(cw, category)
    found(*HERE, category)  # the map index of places, built once per process
    # The routing revision (checked every time in the tests), the candidates, the public replies, the photos.
    with django_assert_max_num_queries(4):
        assert len(found(*HERE, category)) == 3
