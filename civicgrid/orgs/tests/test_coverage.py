"""Coverage: targets and links, the kept flags, rates on today and on a past day, snapshots, the sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from civicgrid.core.errors import ApplicationError, Conflict, PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.orgs import coverage
from civicgrid.orgs.models import CoverageLink, CoverageSnapshot, Target

D = date(2025, 6, 30)  # a month's last day in the past
SOCIAL = "social_org"


@dataclass
class Example:
    covered_twice: Target
    closed: Target
    link_ended: Target
    uncovered: Target
    later: Target
    elsewhere: Target


def make_example(net) -> Example:
    """The issue's hand-built example, all social organisations of district 329981 but the last.

    - covered_twice: two open organisation-coverage links (district and town federation): counts once;
    - closed: covered, closed on 2025-09-01: counted on D, not today;
    - link_ended: its only link ended on 2025-08-01: covered on D, not today;
    - uncovered: never linked; later: opened after D, work coverage only;
    - elsewhere: in the other district, covered: never in district 329981's figures.
    """
    w, root = net.world, net.world.superuser

    def target(name, region, **extra):
        extra.setdefault("active_from", date(2025, 1, 1))
        return coverage.target_create(actor=net.cadre, name=name, category=SOCIAL, region=region, **extra)

    def link(t, org, kind="org", start=date(2025, 2, 1), **extra):
        return coverage.link_create(
            actor=root, target=t, organisation=org, mode="own", kind=kind, valid_from=start, **extra
        )

    ex = Example(
        covered_twice=target("双覆盖协会", w.village_a1),
        closed=target("已注销协会", w.town_a, active_to=date(2025, 9, 1)),
        link_ended=target("断联协会", w.town_b),
        uncovered=target("未覆盖协会", w.district),
        later=target("新成立协会", w.village_b1, active_from=date(2025, 7, 15)),
        elsewhere=coverage.target_create(
            actor=net.other_cadre,
            name="另区协会",
            category=SOCIAL,
            region=net.other_town,
            active_from=date(2025, 1, 1),
        ),
    )
    link(ex.covered_twice, net.district_fed)
    link(ex.covered_twice, net.town_a_fed, start=date(2025, 3, 1))
    link(ex.closed, net.town_a_fed)
    link(ex.link_ended, net.town_b_fed, valid_to=date(2025, 8, 1))
    link(ex.later, net.town_b_fed, kind="work", start=date(2025, 7, 20))
    link(ex.elsewhere, net.other_town_fed)
    return ex


def figures(result, kind="org", category=SOCIAL):
    cell = result.cell(category, kind)
    return cell.active, cell.covered


def test_rates_today_count_a_target_covered_twice_once_and_skip_closed_and_ended(net):
    ex = make_example(net)
    result = coverage.rates(net.cadre, net.world.district)
    assert result.source == "kept"
    # Active today: covered_twice, link_ended, uncovered, later (closed closed in 2025-09).
    assert figures(result) == (4, 1)
    assert figures(result, "work") == (4, 1)
    assert figures(result, "activity") == (4, 0)
    assert result.cell(None, "org").active == 4 and result.cell(None, "org").percent == "25.0%"
    assert figures(result, category="enterprise") == (0, 0)
    # The kept flags agree with the rows.
    ex.closed.refresh_from_db()
    ex.link_ended.refresh_from_db()
    ex.covered_twice.refresh_from_db()
    assert not ex.closed.is_active and ex.link_ended.is_active and not ex.link_ended.covered_org
    assert ex.covered_twice.covered_org and not ex.covered_twice.covered_work


def test_rates_on_a_past_day_are_computed_exactly(net):
    make_example(net)
    result = coverage.rates(net.cadre, net.world.district, on=D)
    assert result.source == "computed"
    # On D: covered_twice, closed, link_ended, uncovered active (later opened after D); three covered.
    assert figures(result) == (4, 3)
    assert figures(result, "work") == (4, 0)
    # A day before the second link: still counted once.
    assert figures(coverage.rates(net.cadre, net.world.town_a, on=date(2025, 2, 15))) == (2, 2)
    # Before any link.
    assert figures(coverage.rates(net.cadre, net.world.district, on=date(2025, 1, 20))) == (4, 0)


def test_a_snapshot_keeps_the_figures_of_the_months_last_day(net):
    ex = make_example(net)
    written = coverage.snapshot_month(date(2025, 6, 1))
    assert written > 0
    again = coverage.snapshot_month(date(2025, 6, 15))  # idempotent: the month is rewritten
    assert again == written == CoverageSnapshot.objects.filter(month=date(2025, 6, 1)).count()
    district = CoverageSnapshot.objects.get(
        month=date(2025, 6, 1), place=net.world.district, category=SOCIAL, kind="org"
    )
    assert (district.active, district.covered) == (4, 3)
    whole = CoverageSnapshot.objects.get(month=date(2025, 6, 1), place=None, category=SOCIAL, kind="org")
    assert (whole.active, whole.covered) == (5, 4)
    village = CoverageSnapshot.objects.get(
        month=date(2025, 6, 1), place=net.world.village_a1, category=SOCIAL, kind="org"
    )
    assert (village.active, village.covered) == (1, 1)
    # Later the record is corrected (the closed target was never active): the snapshot keeps what was reported.
    Target.objects.filter(pk=ex.closed.pk).update(active_from=date(2025, 8, 1))
    from_snapshot = coverage.rates(net.cadre, net.world.district, on=D)
    assert from_snapshot.source == "snapshot" and figures(from_snapshot) == (4, 3)
    assert coverage.full_coverage_on(net.world.district, SOCIAL, "org", D) | {} == {
        "on": D,
        "active": 4,
        "covered": 3,
        "rate": 0.75,
        "full": False,
        "source": "snapshot",
    }
    computed = coverage.full_coverage_on(net.world.district, SOCIAL, "org", date(2025, 6, 29))
    assert computed["source"] == "computed" and (computed["active"], computed["covered"]) == (3, 2)
    assert coverage.full_coverage_on(net.world.village_a1, SOCIAL, "org", D)["full"] is True


def test_breakdown_lists_child_regions_with_their_rates(net):
    make_example(net)
    result = coverage.breakdown(net.cadre, net.world.district, category=SOCIAL, kind="org")
    by_name = {(r.place.name if r.place else None): (r.active, r.covered) for r in result.rows}
    # Town A: covered_twice (village A1; closed is no longer active); Street B: link_ended and later;
    # the uncovered target lies directly in the district.
    assert by_name == {"甲镇": (1, 1), "乙街道": (2, 0), None: (1, 0)}
    towns = coverage.breakdown(net.cadre, net.world.town_a, kind="org")
    assert [(r.place.name, r.active, r.covered) for r in towns.rows] == [("甲一村", 1, 1)]
    assert coverage.breakdown(net.cadre, net.world.village_a1).child_level is None


def test_a_cadre_of_another_district_is_refused(net):
    ex = make_example(net)
    with pytest.raises(PermissionDenied):
        coverage.rates(net.other_cadre, net.world.district)
    with pytest.raises(PermissionDenied):
        coverage.breakdown(net.other_cadre, net.world.district)
    with pytest.raises(PermissionDenied):
        coverage.target_create(
            actor=net.other_cadre, name="越界", category=SOCIAL, region=net.world.town_a, active_from=D
        )
    with pytest.raises(PermissionDenied):
        coverage.target_update(actor=net.other_cadre, target=ex.uncovered, active_to=date(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        coverage.link_create(
            actor=net.other_cadre,
            target=ex.uncovered,
            organisation=net.other_fed,
            mode="area",
            kind="org",
            valid_from=D,
        )
    link = CoverageLink.objects.filter(target=ex.covered_twice).first()
    with pytest.raises(PermissionDenied):
        coverage.link_end(actor=net.other_cadre, link=link, valid_to=date(2026, 1, 1))
    assert not Target.objects.filter(name="越界").exists()
    assert CoverageLink.objects.get(pk=link.pk).valid_to is None
    # Their own rates see only their own district.
    own = coverage.rates(net.other_cadre)
    assert figures(own) == (1, 1)


def test_a_viewer_reads_rates_but_cannot_add(net):
    make_example(net)
    assert figures(coverage.rates(net.world.town_operator)) == (1, 1)  # Town A only
    with pytest.raises(PermissionDenied):
        coverage.target_create(
            actor=net.world.town_operator, name="x", category=SOCIAL, region=net.world.town_a, active_from=D
        )


def test_target_rules(net):
    w = net.world
    made = coverage.target_create(
        actor=net.cadre,
        name=" 海棠科技有限公司 ",
        category="enterprise",
        region=w.village_a1,
        active_from=D,
        credit_code="91320581MA1xxxxx0x".upper().replace("X", "1"),
        size=40,
    )
    assert made.name == "海棠科技有限公司" and made.district == w.district and made.town == w.town_a
    assert made.village == w.village_a1 and made.is_active
    assert AuditEntry.objects.filter(action="orgs.target_create").count() == 1
    with pytest.raises(Conflict) as err:
        coverage.target_create(
            actor=net.cadre,
            name="again",
            category="enterprise",
            region=w.town_a,
            active_from=D,
            credit_code=made.credit_code,
        )
    assert err.value.code == "duplicate_credit_code"
    with pytest.raises(ApplicationError) as err:
        coverage.target_create(
            actor=net.cadre,
            name="",
            category="nope",
            region=w.grid_a1a,
            active_from=D,
            active_to=D,
            credit_code="123",
        )
    assert set(err.value.extra["fields"]) == {"name", "category", "region", "credit_code", "active_to"}
    closed = coverage.target_update(actor=net.cadre, target=made, active_to=D + timedelta(days=1))
    assert not closed.is_active and closed.active_to == date(2025, 7, 1)
    assert AuditEntry.objects.filter(action="orgs.target_update").count() == 1


def test_links_are_ended_never_deleted(net):
    w = net.world
    t = coverage.target_create(actor=net.cadre, name="t", category=SOCIAL, region=w.town_b, active_from=D)
    link = coverage.link_create(
        actor=net.cadre, target=t, organisation=net.town_b_fed, mode="area", kind="activity", valid_from=D
    )
    t.refresh_from_db()
    assert t.covered_activity
    with pytest.raises(Conflict):
        coverage.link_create(
            actor=net.cadre, target=t, organisation=net.town_b_fed, mode="area", kind="activity", valid_from=D
        )
    with pytest.raises(ApplicationError) as err:
        coverage.link_end(actor=net.cadre, link=link, valid_to=D)
    assert "valid_to" in err.value.extra["fields"]
    coverage.link_end(actor=net.cadre, link=link, valid_to=timezone.localdate(), reason="合并")
    t.refresh_from_db()
    assert not t.covered_activity and CoverageLink.objects.filter(pk=link.pk).exists()
    with pytest.raises(Conflict):
        coverage.link_end(actor=net.cadre, link=link, valid_to=timezone.localdate())
    codes = list(AuditEntry.objects.filter(action__startswith="orgs.link").values_list("action", flat=True))
    assert sorted(codes) == ["orgs.link_create", "orgs.link_end"]


def test_a_town_federation_links_targets_of_its_region_only(net):
    """The town federation's cadre (appointed here) may link targets of Town A, not of Street B."""
    from civicgrid.orgs.tests.conftest import make_cadre

    user, _p = make_cadre("townfed", "镇主席", "13900000009", net.town_a_fed, "chair", net.world.superuser)
    mine = coverage.target_create(
        actor=net.cadre, name="a", category=SOCIAL, region=net.world.town_a, active_from=D
    )
    theirs = coverage.target_create(
        actor=net.cadre, name="b", category=SOCIAL, region=net.world.town_b, active_from=D
    )
    coverage.link_create(
        actor=user, target=mine, organisation=net.town_a_fed, mode="own", kind="org", valid_from=D
    )
    with pytest.raises(PermissionDenied):
        coverage.link_create(
            actor=user, target=theirs, organisation=net.town_a_fed, mode="area", kind="org", valid_from=D
        )


def test_sweep_refreshes_only_what_crossed(net, django_assert_max_num_queries):
    w = net.world
    today = timezone.localdate()
    t = coverage.target_create(
        actor=net.cadre,
        name="closing",
        category=SOCIAL,
        region=w.town_a,
        active_from=D,
        active_to=today + timedelta(days=1),
    )
    starting = coverage.target_create(
        actor=net.cadre,
        name="starting",
        category=SOCIAL,
        region=w.town_a,
        active_from=today + timedelta(days=2),
    )
    coverage.link_create(
        actor=net.cadre,
        target=starting,
        organisation=net.town_a_fed,
        mode="own",
        kind="org",
        valid_from=today + timedelta(days=2),
    )
    quiet = coverage.target_create(
        actor=net.cadre, name="quiet", category=SOCIAL, region=w.town_a, active_from=D
    )
    # A flag gone stale without a crossing stays as it is: the sweep reads only crossings.
    Target.objects.filter(pk=quiet.pk).update(covered_work=True)
    t.refresh_from_db()
    starting.refresh_from_db()
    assert t.is_active and not starting.is_active and not starting.covered_org
    assert coverage.sweep(today) == 0
    assert coverage.sweep(today + timedelta(days=2)) == 2
    t.refresh_from_db()
    starting.refresh_from_db()
    assert not t.is_active and starting.is_active and starting.covered_org
    assert Target.objects.get(pk=quiet.pk).covered_work
    with django_assert_max_num_queries(8):
        coverage.sweep(today + timedelta(days=3))


def test_the_command_sweeps_and_snapshots(net):
    from io import StringIO

    make_example(net)
    out = StringIO()
    call_command("orgs_coverage", "--sweep", stdout=out)
    call_command("orgs_coverage", "--snapshot", "--month", "2025-06", stdout=out)
    assert CoverageSnapshot.objects.filter(month=date(2025, 6, 1)).exists()
    assert "2025-06" in out.getvalue()


def test_rates_today_is_one_query(net, django_assert_num_queries):
    make_example(net)
    with django_assert_num_queries(1):
        coverage.rates(net.world.superuser, net.world.district)
