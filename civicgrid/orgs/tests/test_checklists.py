"""Set-up checklists: overdue rules, evidence, who verifies, templates and completion by region."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from civicgrid.core.audit import AuditEntry
from civicgrid.core.errors import ApplicationError, Conflict, PermissionDenied
from civicgrid.orgs import checklists, services
from civicgrid.orgs.models import ChecklistTemplate, Evidence, Organisation, Task


def photo(name: str = "meeting.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf(name: str = "minutes.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", content_type="application/pdf")


def first_task(org: Organisation) -> Task:
    return Task.objects.filter(organisation=org).order_by("item__position").first()


def today():
    return timezone.localdate()


# --- Overdue ------------------------------------------------------------------------------------


def test_overdue_is_open_after_the_due_date(net):
    task = first_task(net.town_a_fed)
    task.due_on = today() - timedelta(days=1)
    task.save()
    assert checklists.is_overdue(task)
    view = checklists.checklist_for(net.cadre, net.town_a_fed)
    assert view.tasks[0].overdue and view.tasks[0].id == task.pk
    ids = [r.id for r in checklists.overdue(net.cadre, size=500).items]
    assert task.pk in ids

    task.due_on = today()
    task.save()
    assert not checklists.is_overdue(task)
    assert task.pk not in [r.id for r in checklists.overdue(net.cadre, size=500).items]


def test_done_awaiting_verification_and_verified_are_not_overdue(net):
    task = first_task(net.town_a_fed)
    task.due_on = today() - timedelta(days=1)
    task.save()
    checklists.task_done(actor=net.cadre, task=task, note="开了", files=[photo()])
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and not checklists.is_overdue(task)
    assert task.pk not in [r.id for r in checklists.overdue(net.cadre, size=500).items]
    checklists.task_verify(actor=net.city_cadre, task=task)
    task.refresh_from_db()
    assert task.status == Task.Status.VERIFIED and not checklists.is_overdue(task)
    assert not checklists.checklist_for(net.cadre, net.town_a_fed).tasks[0].overdue


def test_the_overdue_list_is_oldest_first_paged_and_scoped(net):
    page = checklists.overdue(net.cadre, size=4)
    assert len(page.items) == 4 and page.next_cursor
    rest = checklists.overdue(net.cadre, size=500, cursor=page.next_cursor)
    every = page.items + rest.items
    assert [(r.due_on, r.id) for r in every] == sorted((r.due_on, r.id) for r in every)
    assert len({r.id for r in every}) == len(every)
    district_orgs = set(
        Organisation.objects.get_descendants(net.district_fed).values_list("pk", flat=True)
    ) | {net.district_fed.pk}
    assert {r.organisation_id for r in every} == district_orgs
    # The other district's cadre sees only their own branch.
    other = {r.organisation_id for r in checklists.overdue(net.other_cadre, size=500).items}
    assert other == {net.other_fed.pk, net.other_town_fed.pk}
    with pytest.raises(ApplicationError):
        checklists.overdue(net.cadre, cursor="not-a-cursor")


# --- Doing and verifying ------------------------------------------------------------------------


def test_an_item_that_needs_evidence_is_refused_without_a_file(net):
    task = first_task(net.town_a_fed)
    with pytest.raises(ApplicationError) as err:
        checklists.task_done(actor=net.cadre, task=task, note="开了")
    assert "files" in err.value.extra["fields"]
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN
    assert not AuditEntry.objects.filter(action="orgs.task_done").exists()


def test_earlier_evidence_counts_after_a_reopen(net):
    task = first_task(net.town_a_fed)
    checklists.task_done(actor=net.cadre, task=task, files=[pdf()])
    checklists.task_reopen(actor=net.city_cadre, task=task, reason="照片看不清")
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN and task.note == "照片看不清" and task.done_by is None
    checklists.task_done(actor=net.cadre, task=task, note="again")
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    assert Evidence.objects.filter(task=task).count() == 1
    assert list(
        AuditEntry.objects.filter(target_type="orgs.task", target_id=str(task.pk)).values_list(
            "action", flat=True
        )
    ) == [
        "orgs.task_done",
        "orgs.task_reopen",
        "orgs.task_done",
    ]


def test_an_item_without_evidence_needed_is_done_with_a_note(net):
    task = first_task(net.town_a_fed)
    task.item.needs_evidence = False
    task.item.save()
    checklists.task_done(actor=net.cadre, task=task, note="no file needed")
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.done_by == net.cadre


def test_a_file_that_is_not_a_photo_or_pdf_refuses_the_whole_write(net):
    task = first_task(net.town_a_fed)
    bad = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(ApplicationError) as err:
        checklists.task_done(actor=net.cadre, task=task, files=[photo(), bad])
    assert "files" in err.value.extra["fields"]
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN and not Evidence.objects.filter(task=task).exists()


def test_the_verifier_is_from_the_federation_above_and_not_the_doer(net):
    # The district's cadre marks a town federation's item done; the district's cadre manages the town's
    # parent but did it, so someone else (the city federation) verifies.
    task = first_task(net.town_a_fed)
    checklists.task_done(actor=net.cadre, task=task, files=[photo()])
    with pytest.raises(PermissionDenied):
        checklists.task_verify(actor=net.cadre, task=task)
    # Those who manage only the organisation itself, not its parent, may not verify.
    district_task = first_task(net.district_fed)
    checklists.task_done(actor=net.cadre, task=district_task, files=[photo()])
    with pytest.raises(PermissionDenied):
        checklists.task_verify(actor=net.cadre, task=district_task)
    done = checklists.task_verify(actor=net.city_cadre, task=district_task)
    assert done.status == Task.Status.VERIFIED and done.verified_by == net.city_cadre
    # A village federation's item: its parent (Town A) is managed by the district's cadre.
    village_task = first_task(net.village_a1_fed)
    checklists.task_done(actor=net.city_cadre, task=village_task, files=[photo()])
    assert checklists.task_verify(actor=net.cadre, task=village_task).status == Task.Status.VERIFIED


def test_only_a_done_item_is_verified(net):
    task = first_task(net.town_a_fed)
    with pytest.raises(Conflict):
        checklists.task_verify(actor=net.city_cadre, task=task)
    checklists.task_done(actor=net.cadre, task=task, files=[photo()])
    checklists.task_verify(actor=net.city_cadre, task=task)
    with pytest.raises(Conflict):
        checklists.task_verify(actor=net.city_cadre, task=task)
    with pytest.raises(Conflict):
        checklists.task_done(actor=net.cadre, task=task, files=[photo()])


def test_a_cadre_of_another_district_is_refused(net):
    task = first_task(net.town_a_fed)
    with pytest.raises(PermissionDenied):
        checklists.task_done(actor=net.other_cadre, task=task, files=[photo()])
    with pytest.raises(PermissionDenied):
        checklists.checklist_for(net.other_cadre, net.town_a_fed)
    checklists.task_done(actor=net.cadre, task=task, files=[photo()])
    with pytest.raises(PermissionDenied):
        checklists.task_verify(actor=net.other_cadre, task=task)
    with pytest.raises(PermissionDenied):
        checklists.task_reopen(actor=net.other_cadre, task=task, reason="no")
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    # A resident of the region sees nothing either.
    with pytest.raises(PermissionDenied):
        checklists.checklist_for(net.world.resident, net.town_a_fed)


def test_reopen_needs_a_reason(net):
    task = first_task(net.town_a_fed)
    checklists.task_done(actor=net.cadre, task=task, files=[photo()])
    with pytest.raises(ApplicationError) as err:
        checklists.task_reopen(actor=net.city_cadre, task=task, reason="  ")
    assert "reason" in err.value.extra["fields"]


def test_the_checklist_tells_each_viewer_what_they_may_do(net):
    task = first_task(net.town_a_fed)
    checklists.task_done(actor=net.cadre, task=task, files=[photo()])
    mine = checklists.checklist_for(net.cadre, net.town_a_fed)
    assert mine.can_manage and mine.can_verify
    assert [t.title for t in mine.tasks][:2] == ["一次启动会", "一次调研"]
    first, second = mine.tasks[0], mine.tasks[1]
    assert not first.can_done and not first.can_verify and first.can_reopen  # done by the cadre
    assert second.can_done and not second.can_verify
    assert (
        first.evidence
        and first.evidence[0].is_image
        and first.evidence[0].url.endswith(f"/evidence/{first.evidence[0].id}/")
    )
    city = checklists.checklist_for(net.city_cadre, net.town_a_fed)
    assert city.tasks[0].can_verify
    viewer = checklists.checklist_for(net.world.town_operator, net.town_a_fed)  # staff of Town A: read-only
    assert not viewer.can_manage and not any(t.can_done or t.can_verify for t in viewer.tasks)
    assert mine.total == 6 and mine.done == 1 and mine.rate == 17


# --- Templates ----------------------------------------------------------------------------------


def test_a_new_version_of_a_template_is_for_new_organisations_only(net):
    old_task_ids = set(Task.objects.filter(organisation=net.town_b_fed).values_list("pk", flat=True))
    template = checklists.template_create(
        actor=net.city_cadre,
        name="6个1",
        kinds=[],
        items=[("一次启动会", "", 10, True), ("一份礼包", "", 20, False)],
    )
    assert template.version == 2 and template.items.count() == 2
    assert not ChecklistTemplate.objects.get(name="6个1", version=1).is_active
    assert set(Task.objects.filter(organisation=net.town_b_fed).values_list("pk", flat=True)) == old_task_ids
    org = services.org_create(
        actor=net.cadre,
        parent=net.town_a_fed,
        name="甲一村妇女之家",
        kind="womens_home",
        region=net.world.village_a1,
    )
    assert [(t.item.title, t.item.template.version) for t in org.tasks.order_by("item__position")] == [
        ("一次启动会", 2),
        ("一份礼包", 2),
    ]
    assert AuditEntry.objects.filter(action="orgs.checklist_create").count() == 1


def test_a_template_for_some_kinds_and_its_refusals(net):
    checklists.template_create(
        actor=net.world.superuser,
        name="企业妇联三件事",
        kinds=["enterprise_fed"],
        items=[("挂牌", "", 7, True)],
    )
    assert {t.name for t in checklists.templates_for("enterprise_fed")} == {"6个1", "企业妇联三件事"}
    assert {t.name for t in checklists.templates_for("womens_home")} == {"6个1"}
    with pytest.raises(PermissionDenied):
        checklists.template_create(actor=net.cadre, name="x", items=[("a", "", 5, True)])
    with pytest.raises(ApplicationError) as err:
        checklists.template_create(actor=net.city_cadre, name="", kinds=["nope"], items=[])
    assert set(err.value.extra["fields"]) == {"name", "kinds", "items"}
    with pytest.raises(ApplicationError) as err:
        checklists.template_create(actor=net.city_cadre, name="y", items=[("a", "", 0, True)])
    assert "items" in err.value.extra["fields"]
    assert ChecklistTemplate.objects.count() == 2


# --- Completion ---------------------------------------------------------------------------------


def finish(org, actor, verifier=None):
    for task in Task.objects.filter(organisation=org):
        checklists.task_done(actor=actor, task=task, files=[pdf()])
        if verifier is not None:
            checklists.task_verify(actor=verifier, task=task)


def test_completion_rates_on_a_hand_built_example(net):
    """The district (cadre's view) by town:
    - the district federation itself: 1 organisation, not complete;
    - Town A: town federation (complete, verified), village federation (complete, not verified),
      enterprise federation (open), a women's home with no tasks (does not count), a dissolved one (out);
    - Street B: its federation, every task still open.
    """
    home = services.org_create(
        actor=net.cadre,
        parent=net.village_a1_fed,
        name="无清单之家",
        kind="womens_home",
        region=net.world.village_a1,
        checklist=False,
    )
    gone = services.org_create(
        actor=net.cadre,
        parent=net.village_a1_fed,
        name="已撤销",
        kind="womens_home",
        region=net.world.village_a1,
    )
    services.org_update(actor=net.cadre, org=gone, status=Organisation.Status.DISSOLVED, dissolved_on=today())
    finish(net.town_a_fed, net.cadre, verifier=net.city_cadre)
    finish(net.village_a1_fed, net.cadre)
    # One of the enterprise federation's items is done and waits: it is not overdue any more.
    checklists.task_done(actor=net.cadre, task=first_task(net.enterprise_fed), files=[pdf()])
    assert home.pk and gone.pk

    report = checklists.completion(net.cadre)
    assert report.place == net.world.district
    rows = {r.place_code: r for r in report.rows}
    own, town_a, town_b = rows["329981"], rows["329981001"], rows["329981002"]
    assert own.is_self and (own.organisations, own.complete, own.overdue, own.rate) == (1, 0, 6, 0)
    assert (town_a.organisations, town_a.complete, town_a.verified) == (3, 2, 1)
    assert town_a.rate == 67 and town_a.overdue == 5  # the enterprise federation's five open items
    assert (town_b.organisations, town_b.complete, town_b.overdue, town_b.rate) == (1, 0, 6, 0)
    assert (report.total.organisations, report.total.complete, report.total.rate) == (5, 2, 40)

    # Drill down: Town A by village; the town and enterprise federations are at the town itself.
    town = checklists.completion(net.cadre, net.world.town_a)
    rows = {r.place_code: r for r in town.rows}
    assert (rows["329981001"].organisations, rows["329981001"].complete) == (2, 1)
    assert (rows["329981001001"].organisations, rows["329981001001"].complete) == (1, 1)

    # The city, by district: the other district is all open.
    city = {r.place_code: r for r in checklists.completion(net.city_cadre).rows}
    assert (city["329981"].organisations, city["329981"].complete) == (5, 2)
    assert (city["329982"].organisations, city["329982"].complete, city["329982"].overdue) == (2, 0, 12)


def test_completion_of_another_district_is_refused(net):
    with pytest.raises(PermissionDenied):
        checklists.completion(net.other_cadre, net.world.district)
    with pytest.raises(PermissionDenied):
        checklists.overdue(net.other_cadre, net.world.town_a)
    with pytest.raises(PermissionDenied):
        checklists.completion(net.world.resident)


def test_completion_is_one_query(net, django_assert_max_num_queries):
    checklists.completion(net.city_cadre)  # warm the offices cache
    with django_assert_max_num_queries(6):
        checklists.completion(net.city_cadre, net.world.city)
