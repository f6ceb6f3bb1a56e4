"""The admin edits categories and the calendar; it shows cases read-only."""

import pytest
from django.contrib.admin.sites import site
from django.db.models import ProtectedError

from civicgrid.cases import categories
from civicgrid.cases.admin import CategoryAdmin
from civicgrid.cases.models import Category, CategoryQuestion, CategoryRevision, Holiday
from civicgrid.core.models import AuditEntry
from civicgrid.core.tests.audit_helpers import only, recorded


def test_it_lets_the_superuser_edit_a_categorys_deadlines(login, world):
    client = login(world.superuser)
    category = Category.objects.get(code="C0201")
    page = client.get(f"/admin/cases/category/{category.pk}/change/")
    assert page.status_code == 200
    assert client.get("/admin/cases/holiday/add/").status_code == 200


def test_it_shows_cases_read_only(login, world, case_in):
    case = case_in("accepted")
    client = login(world.superuser)
    assert client.get("/admin/cases/case/").status_code == 200
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


# --- Category and calendar edits are recorded in the audit log --------------------------------------


# The questions inline's management form, with no question.
NO_QUESTIONS = {"questions-TOTAL_FORMS": "0", "questions-INITIAL_FORMS": "0"}


def category_form(category: Category, **changes) -> dict:
    data = {
        **NO_QUESTIONS,
        "code": category.code,
        "name": category.name,
        "name_en": category.name_en,
        "kind": category.kind,
        "parent": category.parent_id or "",
        "default_agency": category.default_agency_id or "",
        "response_hours": category.response_hours,
        "resolution_hours": category.resolution_hours or "",
        "resolution_workdays": category.resolution_workdays or "",
        "urgent_response_hours": category.urgent_response_hours,
        "urgent_resolution_hours": category.urgent_resolution_hours,
        "photo_required": "on" if category.photo_required else "",
        "description_required": "on" if category.description_required else "",
        "quick_icon": category.quick_icon,
        "quick_order": category.quick_order,
        "phrases": category.phrases,
        "phrases_en": category.phrases_en,
        "is_urgent": "on" if category.is_urgent else "",
        "is_active": "on" if category.is_active else "",
        "sort": category.sort,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_changing_a_categorys_deadline_in_the_admin_records_before_and_after(login, world):
    client = login(world.superuser)
    category = Category.objects.get(code="C0201")
    with recorded() as entries:
        response = client.post(
            f"/admin/cases/category/{category.pk}/change/",
            category_form(
                category, response_hours=category.response_hours + 6, default_agency=world.agency.pk
            ),
        )
    assert response.status_code == 302
    entry = only(entries)
    assert (entry.actor, entry.action, entry.source, entry.target_id, entry.place_code) == (
        world.superuser,
        "category.update",
        "admin",
        str(category.pk),
        "",
    )
    assert entry.changes == {
        "default_agency": {"from": None, "to": "市水务局"},
        "response_hours": {"from": category.response_hours, "to": category.response_hours + 6},
    }


def test_saving_a_category_unchanged_records_nothing(login, world):
    client = login(world.superuser)
    category = Category.objects.get(code="C0201")
    with recorded() as entries:
        client.post(f"/admin/cases/category/{category.pk}/change/", category_form(category))
    assert entries == []


def test_adding_and_deleting_categories_in_the_admin_records_each(login, world):
    client = login(world.superuser)
    parent = Category.objects.get(code="C0201").parent
    with recorded() as created:
        response = client.post(
            "/admin/cases/category/add/",
            {
                "code": "X0001",
                "name": "测试小类",
                "kind": "event",
                "parent": parent.pk,
                "response_hours": 24,
                "urgent_response_hours": 1,
                "urgent_resolution_hours": 2,
                "resolution_workdays": 5,
                "is_active": "on",
                "sort": 0,
                "quick_order": 0,
                **NO_QUESTIONS,
            },
        )
    assert response.status_code == 302
    category = Category.objects.get(code="X0001")
    entry = only(created)
    assert (entry.action, entry.changes["code"], entry.changes["parent"]) == (
        "category.create",
        {"to": "X0001"},
        {"to": str(parent)},
    )
    with recorded() as deleted:
        client.post(f"/admin/cases/category/{category.pk}/delete/", {"post": "yes"})
    entry = only(deleted)
    assert (entry.action, entry.target_id, entry.changes["code"]) == (
        "category.delete",
        str(category.pk),
        {"from": "X0001"},
    )
    assert not Category.objects.filter(code="X0001").exists()


def test_a_category_delete_that_fails_leaves_no_entry(login, world, case_in):
    case = case_in("accepted")
    client = login(world.superuser)
    with recorded() as entries:
        # A category a case uses is protected: the admin refuses, and nothing is recorded.
        client.post(f"/admin/cases/category/{case.category_id}/delete/", {"post": "yes"})
    assert entries == []
    assert Category.objects.filter(pk=case.category_id).exists()


def test_calendar_days_added_changed_and_deleted_in_the_admin_are_recorded(login, world):
    client = login(world.superuser)
    with recorded() as created:
        client.post("/admin/cases/holiday/add/", {"date": "2026-10-01", "name": "国庆节"})
    holiday = Holiday.objects.get(date="2026-10-01")
    assert (only(created).action, only(created).changes) == (
        "holiday.create",
        {"date": {"to": "2026-10-01"}, "is_workday": {"to": False}, "name": {"to": "国庆节"}},
    )
    with recorded() as changed:
        client.post(
            f"/admin/cases/holiday/{holiday.pk}/change/",
            {"date": "2026-10-01", "name": "国庆", "is_workday": "on"},
        )
    assert only(changed).changes == {
        "is_workday": {"from": False, "to": True},
        "name": {"from": "国庆节", "to": "国庆"},
    }
    with recorded() as deleted:
        client.post(
            "/admin/cases/holiday/",
            {"action": "delete_selected", "_selected_action": [holiday.pk], "post": "yes"},
        )
    assert (only(deleted).action, only(deleted).actor) == ("holiday.delete", world.superuser)
    assert not Holiday.objects.exists()


def test_an_admin_delete_that_fails_after_recording_rolls_the_entry_back(rf, world, case_in):
    case = case_in("accepted")
    request = rf.post("/admin/")
    request.user = world.superuser
    with recorded() as entries, pytest.raises(ProtectedError):
        CategoryAdmin(Category, site).delete_model(request, case.category)
    assert entries == []


def test_the_admin_inline_saves_questions_audits_and_bumps_the_revision(login, world):
    category = Category.objects.get(code="C0101")
    client = login(world.superuser)
    url = f"/admin/cases/category/{category.pk}/change/"
    assert client.get(url).status_code == 200
    data = category_form(category)
    prefix = "questions"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-code": "damage",
            f"{prefix}-0-label": "损坏程度",
            f"{prefix}-0-datatype": "singlevaluelist",
            f"{prefix}-0-required": "on",
            f"{prefix}-0-order": "1",
            f"{prefix}-0-values": '[{"key": "missing", "name": "缺失"}, {"key": "missing", "name": "破损"}]',
            f"{prefix}-0-is_active": "on",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200  # shown again with the error
    assert "appears twice" in response.content.decode() or "出现了两次" in response.content.decode()
    assert not CategoryQuestion.objects.exists()

    data[f"{prefix}-0-values"] = "[{'key': 'missing'}]"
    response = client.post(url, data)
    assert response.status_code == 200
    assert not CategoryQuestion.objects.exists()

    revision = _revision()
    data[f"{prefix}-0-values"] = '[{"key": "missing", "name": "缺失"}, {"key": "broken", "name": "破损"}]'
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    question = CategoryQuestion.objects.get(category=category)
    assert question.values[1] == {"key": "broken", "name": "破损"}
    assert _revision() > revision
    assert [q.code for q in categories.questions("C0101")] == ["damage"]
    assert AuditEntry.objects.filter(action="category_question.create").count() == 1


def _revision() -> int:
    return CategoryRevision.objects.filter(pk=1).values_list("revision", flat=True).first() or 0


def _revision() -> int:
    return CategoryRevision.objects.filter(pk=1).values_list("revision", flat=True).first() or 0
