"""What intake's hot path relies on: the category copy and the hand-written notification SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.accounts.models import RoleAssignment
from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases import categories, notices, services, sql
from civicgrid.cases.models import Category, CategoryRevision, Notification
from conftest import PASSWORD

from .conftest import report

# ---------------------------------------------------------------------------------------------
# The category copy


def test_reportable_categories_are_active_minor_classes_in_order(world):
    listed = categories.reportable()
    expected = list(
        Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True).order_by(
            "parent__sort", "parent__code", "sort", "code"
        )
    )
    assert [c.pk for c in listed] == [c.pk for c in expected]
    assert all(c.parent_id for c in listed)
    assert categories.eligible(" c0201 ").code == "C0201"
    assert categories.eligible(Category.objects.get(code="C0201")).code == "C0201"
    assert categories.eligible("E01") is None  # a major class is not chosen
    assert categories.eligible("NOPE") is None
    assert categories.eligible("") is None and categories.eligible(None) is None


def test_groups_are_the_major_classes_with_their_minor_classes(world):
    groups = categories.groups()
    assert [minor.pk for group in groups for minor in group.minors] == [c.pk for c in categories.reportable()]
    for major, minors in groups:
        assert major.parent_id is None and major.is_active
        assert minors and all(minor.parent_id == major.pk for minor in minors)
    # Written independently of the function: each active major class with a reportable minor class, once.
    majors = {c.parent_id for c in categories.reportable()}
    assert sorted(g.major.pk for g in groups) == sorted(majors)


def test_the_copy_is_read_once_then_kept(world, settings):
    settings.CATEGORY_CACHE_SECONDS = 60
    categories.reportable()
    with CaptureQueriesContext(connection) as queries:
        categories.eligible("C0201")
        categories.reportable()
        categories.groups()
    assert len(queries) == 0


def test_an_edit_in_this_process_is_seen_at_once(world, settings):
    settings.CATEGORY_CACHE_SECONDS = 3600
    assert categories.eligible("C0201") is not None
    category = Category.objects.get(code="C0201")
    category.is_active = False
    category.save()
    assert categories.eligible("C0201") is None
    category.is_active = True
    category.name = "改过的名称"
    category.save()
    assert categories.eligible("C0201").name == "改过的名称"


def test_an_edit_bumps_the_revision_in_its_transaction(world):
    before = CategoryRevision.objects.filter(pk=1).values_list("revision", flat=True).first() or 0
    category = Category.objects.get(code="C0201")
    category.name = "改过的名称"
    category.save()
    assert CategoryRevision.objects.get(pk=1).revision == before + 1
    with pytest.raises(RuntimeError), transaction.atomic():
        category.name = "又改了"
        category.save()
        raise RuntimeError("rolled back")
    assert CategoryRevision.objects.get(pk=1).revision == before + 1


def test_another_process_reloads_when_the_revision_moved(world, settings, monkeypatch):
    """Another process is simulated by keeping this process's copy as it was before the edit."""
    settings.CATEGORY_CACHE_SECONDS = 5
    clock = [1000.0]
    monkeypatch.setattr(categories, "_clock", lambda: clock[0])
    assert categories.eligible("C0201") is not None
    other_process = categories._copy
    category = Category.objects.get(code="C0201")
    category.is_active = False
    category.save()  # bumps the revision; this process's copy is cleared by the signal
    monkeypatch.setattr(categories, "_copy", other_process)  # the other process saw no signal
    clock[0] += 4
    assert categories.eligible("C0201") is not None  # not checked again within the interval
    clock[0] += 2
    with CaptureQueriesContext(connection) as queries:
        assert categories.eligible("C0201") is None  # the revision moved: reloaded
    assert len(queries) == 3  # the revision, then the categories and their questions
    clock[0] += 6
    with CaptureQueriesContext(connection) as queries:
        assert categories.eligible("C0201") is None
    assert len(queries) == 1  # the revision only: it has not moved, the copy is kept


def test_a_copy_loaded_before_any_revision_reloads_after_the_first_edit(world, settings, monkeypatch):
    settings.CATEGORY_CACHE_SECONDS = 5
    CategoryRevision.objects.all().delete()
    categories.invalidate()
    clock = [1000.0]
    monkeypatch.setattr(categories, "_clock", lambda: clock[0])
    assert categories.eligible("C0201") is not None
    other_process = categories._copy
    Category.objects.filter(code="C0201").update(is_active=False)
    categories.bump_revision()  # what an edit's signal does, without this process's local clearing
    monkeypatch.setattr(categories, "_copy", other_process)
    clock[0] += 6
    assert categories.eligible("C0201") is None


# ---------------------------------------------------------------------------------------------
# Hand-written SQL


def test_role_holders_are_active_users_with_an_active_assignment(world):
    place = world.grid_a1a
    extra = user_create(username="extra", password=PASSWORD, display_name="甲")
    role_assign(user=extra, role="grid_leader", place=place)
    gone = user_create(username="gone", password=PASSWORD, display_name="乙")
    role_assign(user=gone, role="grid_worker", place=place)
    gone.is_active = False
    gone.save()
    ended = user_create(username="ended", password=PASSWORD, display_name="丙")
    role_assign(user=ended, role="grid_worker", place=place)
    RoleAssignment.objects.filter(user=ended).update(is_active=False)
    # Two roles at the place count once.
    role_assign(user=extra, role="grid_worker", place=place)

    found = sql.role_holders(["grid_worker", "grid_leader"], place.pk)
    expected = sorted(
        set(
            RoleAssignment.objects.filter(
                role__in=["grid_worker", "grid_leader"], place=place, is_active=True, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    )
    assert found == expected
    assert extra.pk in found and world.grid_worker.pk in found
    assert gone.pk not in found and ended.pk not in found
    assert sql.role_holders(["village_cadre"], place.pk) == []


def test_notifications_insert_reads_back_like_the_orm(world, category):
    case = report(world, category)
    at = timezone.now() - timedelta(minutes=5)
    sql.notifications_insert(
        user_ids=[world.grid_worker.pk, world.village_cadre.pk],
        case_id=case.pk,
        kind="new_work",
        text="文字",
        message=notices.STEP,
        params={"number": case.tracking_number, "state": "town"},
        at=at,
    )
    made = Notification.objects.filter(case=case, text="文字").order_by("user_id")
    assert [n.user_id for n in made] == sorted([world.grid_worker.pk, world.village_cadre.pk])
    assert all(n.created_at == at and n.read_at is None and n.kind == "new_work" for n in made)
    assert all(n.params == {"number": case.tracking_number, "state": "town"} for n in made)


def test_notify_writes_many_rows_in_batches(world, category, monkeypatch):
    case = report(world, category)
    monkeypatch.setattr(sql, "NOTIFY_BATCH", 2)
    ids = [
        world.grid_worker.pk,
        world.village_cadre.pk,
        world.town_operator.pk,
        world.resident.pk,
        world.grid_worker.pk,
    ]
    with CaptureQueriesContext(connection) as queries:
        count = services.notify(
            user_ids=ids,
            case=case,
            kind="update",
            message=notices.REJECTED,
            params={"number": "x", "reason": "重复"},
            exclude=world.resident.pk,
        )
    assert count == 3
    assert len([q for q in queries if q["sql"].startswith("INSERT")]) == 2
    assert Notification.objects.filter(case=case, message=notices.REJECTED).count() == 3


# ---------------------------------------------------------------------------------------------
# Statements per report


@pytest.mark.parametrize("n_owners", [0, 2])
def test_intake_statement_count(world, category, n_owners, settings):
    """Intake runs a fixed, small number of statements (bench/bench_intake.py measures its speed)."""
    settings.ROUTING_REFRESH_SECONDS = 3600  # no look at the routing revision during the count
    if n_owners == 0:
        RoleAssignment.objects.filter(place=world.grid_a1a).update(is_active=False)
    else:
        leader = user_create(username="leader2", password=PASSWORD, display_name="网格长")
        role_assign(user=leader, role="grid_leader", place=world.grid_a1a)
    plain = Category.objects.get(code="E0104")
    report(world, plain)  # the day's counter exists from now on
    with CaptureQueriesContext(connection) as queries:
        services.case_create(
            reporter=None,
            source="resident",
            category=plain,
            description="夜间施工噪声",
            lon=120.705,
            lat=31.605,
            idempotency_key="key-statement-count",
        )
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("BEGIN", "SAVEPOINT", "RELEASE"))]
    # counter, case (insert first: no key look-up), event, the queue's notifications (found and
    # written in one), the new case's figures (one upsert of its category and source under its five
    # places, daily and monthly) and the case's tallies (one upsert of its five rows, last)
    assert len(statements) == 7, statements
    assert statements[-3].startswith('INSERT INTO "cases_casefigure"'), statements[-3]
    assert statements[-2].startswith('INSERT INTO "cases_casefiguremonth"'), statements[-2]
    assert statements[-1].startswith('INSERT INTO "cases_casetally"'), statements[-1]
    assert Notification.objects.filter(case__idempotency_key="anon:key-statement-count").count() == n_owners
