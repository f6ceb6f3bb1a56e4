"""Monthly rankings (civicgrid.cases.rankings) on the hand-built cases of test_figures, worked out by hand.

February in village A1 (all three cases): response 0 ÷ 2, resolution 2 ÷ 4, satisfaction 3 ÷ 4,
on-time closure 2 ÷ 3. With the default weights (30, 30, 30, 10): (30 × 0 + 30 × 50 + 30 × 75 +
10 × 66.67) ÷ 100 = 44.17. January: only a response rate (1 ÷ 1), so its weight stands for all: 100.
The water bureau in February: response 0 ÷ 2, resolution 1 ÷ 3, satisfaction 2 ÷ 3, on-time 2 ÷ 2:
(0 + 30 × 33.33 + 30 × 66.67 + 10 × 100) ÷ 100 = 40.
"""

from __future__ import annotations

from datetime import date

import pytest

from civicgrid.cases import rankings
from civicgrid.cases.models import ScoreWeights
from civicgrid.cases.tests.test_figures import clock, three  # noqa: F401 - fixtures

FEB = date(2026, 2, 1)


def test_villages_of_the_district_in_february(three):  # noqa: F811
    r = rankings.ranking(user=three.city_admin, kind="villages", month=FEB)
    assert [e.name for e in r.entries] == [three.village_a1.display_name, three.village_b1.display_name]
    first, second = r.entries
    assert first.score == pytest.approx(44.1667, abs=1e-3)
    assert (first.rank, first.previous_rank, first.previous_score) == (1, 1, pytest.approx(100.0))
    assert first.rank_change == 0 and first.score_change == pytest.approx(44.1667 - 100, abs=1e-3)
    # Nothing happened in village B1: no score, no rank, listed last.
    assert (second.score, second.rank) == (None, None)


def test_agencies_and_grid_workers(three):  # noqa: F811
    agencies = rankings.ranking(user=three.city_admin, kind="agencies", month=FEB)
    assert [(e.name, round(e.score, 4)) for e in agencies.entries] == [(three.agency.name, 40.0)]
    workers = rankings.ranking(user=three.town_operator, kind="workers", month=FEB)
    assert [(e.key, e.score, e.figures.verification_on_time.whole) for e in workers.entries] == [
        (three.grid_worker.pk, 50.0, 2)
    ]


def test_new_weights_apply_from_their_month_and_old_months_keep_theirs(three):  # noqa: F811
    ScoreWeights.objects.create(
        month=date(2026, 3, 1), response=0, resolution=50, satisfaction=50, on_time_closure=0
    )
    assert rankings.weights_for(FEB) == rankings.DEFAULT_WEIGHTS
    assert rankings.weights_for(date(2026, 4, 15))["resolution"] == 50
    feb = rankings.ranking(user=three.city_admin, kind="villages", month=FEB)
    assert feb.entries[0].score == pytest.approx(44.1667, abs=1e-3)
    assert feb.weights == rankings.DEFAULT_WEIGHTS


def test_kinds_follow_the_scope(three):  # noqa: F811
    assert rankings.kinds_for(three.city_admin) == ["towns", "villages", "agencies", "workers"]
    assert rankings.kinds_for(three.town_operator) == ["villages", "agencies", "workers"]
    assert rankings.kinds_for(three.agency_staff) == []
    with pytest.raises(rankings.PermissionDenied):
        rankings.ranking(user=three.agency_staff)
    with pytest.raises(rankings.PermissionDenied):
        rankings.ranking(user=three.resident)


def test_a_town_ranks_only_its_own_villages(three):  # noqa: F811
    r = rankings.ranking(user=three.town_operator, kind="villages", month=FEB)
    assert [e.key for e in r.entries] == [three.village_a1.pk]


def test_equal_scores_share_a_rank():
    f = rankings.figures.Figures({"rated": 2, "solved": 1, "satisfied": 1})
    assert rankings.score(f, rankings.DEFAULT_WEIGHTS) == pytest.approx(50.0)
    assert rankings.score(rankings.figures.Figures({}), rankings.DEFAULT_WEIGHTS) is None


def test_weights_must_add_up_to_100(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        ScoreWeights(
            month=date(2026, 3, 1), response=50, resolution=50, satisfaction=50, on_time_closure=0
        ).full_clean()
    with pytest.raises(ValidationError):
        ScoreWeights(month=date(2026, 3, 2)).full_clean()
    ScoreWeights(month=date(2026, 3, 1)).full_clean()


def test_the_page_and_the_api_show_the_ranking(three, client, login):  # noqa: F811
    login(three.city_admin)
    page = client.get("/cases/work/rankings/", {"kind": "villages", "month": "2026-02"})
    assert page.status_code == 200
    html = page.content.decode()
    assert three.village_a1.display_name in html and "44.2" in html
    answer = client.get("/api/v1/cases/rankings", {"kind": "agencies", "month": "2026-02"})
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["month"] == "2026-02" and data["weights"] == rankings.DEFAULT_WEIGHTS
    assert [(e["name"], e["rank"], e["score"]) for e in data["entries"]] == [(three.agency.name, 1, 40.0)]
    assert data["entries"][0]["rates"]["response"] == {"value": 0.0, "part": 0, "whole": 2}
    assert client.get("/api/v1/cases/rankings", {"month": "2026-13"}).status_code == 400
    login(three.resident)
    assert client.get("/cases/work/rankings/").status_code == 403
    assert client.get("/api/v1/cases/rankings").status_code == 403


def test_a_large_ranking_is_kept_in_the_cache_with_its_time_until_the_figures_are_rebuilt(
    three,  # noqa: F811
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from civicgrid.cases import figures

    # Two villages count as "large" here.
    monkeypatch.setattr(rankings, "CACHED_ABOVE", 1)
    first = rankings.ranking(user=three.city_admin, kind="villages", month=FEB)
    assert first.as_of is None  # worked out now
    again = rankings.ranking(user=three.city_admin, kind="villages", month=FEB)
    assert again.as_of is not None  # from the cache, with when it was worked out
    assert [(e.key, e.score, e.rank, e.previous_rank, e.figures.sums) for e in again.entries] == [
        (
            e.key,
            e.score,
            e.rank,
            e.previous_rank,
            {k: n for k, n in e.figures.sums.items() if k in figures.RATE_KEYS and n},
        )
        for e in first.entries
    ]
    # A repair of the kept figures starts afresh.
    with django_capture_on_commit_callbacks(execute=True):
        figures.rebuild()
    assert rankings.ranking(user=three.city_admin, kind="villages", month=FEB).as_of is None
    # Other weights are another ranking.
    ScoreWeights.objects.create(month=FEB, response=0, resolution=50, satisfaction=50, on_time_closure=0)
    assert rankings.ranking(user=three.city_admin, kind="villages", month=FEB).as_of is None


def test_a_small_ranking_is_worked_out_every_time(three):  # noqa: F811
    rankings.ranking(user=three.city_admin, kind="villages", month=FEB)
    assert rankings.ranking(user=three.city_admin, kind="villages", month=FEB).as_of is None


def test_worker_names_by_range_are_those_asked_for(three, monkeypatch):  # noqa: F811
    asked = {three.grid_worker.pk, three.town_operator.pk}
    by_list = rankings._worker_names(asked)
    monkeypatch.setattr(rankings, "_BY_RANGE", 0)
    assert rankings._worker_names(asked) == by_list
    assert set(by_list) == asked
    assert by_list[three.grid_worker.pk] == three.grid_worker.display_name
    assert rankings._worker_names(set()) == {}


def test_the_page_and_the_api_say_when_a_cached_ranking_was_worked_out(three, client, login, monkeypatch):  # noqa: F811
    monkeypatch.setattr(rankings, "CACHED_ABOVE", 1)
    login(three.city_admin)
    params = {"kind": "villages", "month": "2026-02"}
    assert "as of" not in client.get("/cases/work/rankings/", params).content.decode()
    assert "as of" in client.get("/cases/work/rankings/", params).content.decode()
    assert client.get("/api/v1/cases/rankings", params).json()["as_of"] is not None
    assert (
        client.get("/api/v1/cases/rankings", {"kind": "agencies", "month": "2026-02"}).json()["as_of"] is None
    )


def test_the_api_pages_a_long_ranking(three, client, login):  # noqa: F811
    login(three.city_admin)
    params = {"kind": "villages", "month": "2026-02"}
    whole = client.get("/api/v1/cases/rankings", params).json()
    assert (whole["total"], whole["offset"], len(whole["entries"])) == (2, 0, 2)
    second = client.get("/api/v1/cases/rankings", {**params, "offset": 1, "limit": 1}).json()
    assert (second["total"], second["offset"]) == (2, 1)
    assert [e["key"] for e in second["entries"]] == [whole["entries"][1]["key"]]
    assert client.get("/api/v1/cases/rankings", {**params, "limit": 0}).status_code == 400
    assert client.get("/api/v1/cases/rankings", {**params, "offset": 5}).json()["entries"] == []
