"""The task board's state machine: every (state, step, persona) is allowed exactly where the issue
says, and a refused step writes nothing.

The expectations below are written out by hand from the issue (a town or village publishes; an
agency claims, or the town records a claim for an enterprise; the claimant reports and completes;
the village verifies, never the claimant), independently of `services_board.STEPS`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from civicgrid.core.errors import ApplicationError, Conflict, PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.governance import services_board
from civicgrid.governance.models import Matter, MatterPhoto, MatterUpdate
from civicgrid.governance.services_board import ClaimIn
from civicgrid.governance.tests.board_setup import board_world, draft, jpeg, matter_in

PERSONAS = [
    "resident",
    "resident_b",
    "grid_worker",
    "grid_leader",
    "village_cadre",
    "town_operator",
    "city_admin",
    "agency_staff",
    "agency_b_staff",
    "outsider",
    "town_b_operator",
    "superuser",
]
PUBLISHERS = {"village_cadre", "town_operator", "superuser"}
# The matter is claimed by the water agency (agency_staff); the town may report for a claimant.
CLAIMANT_SIDE = {"agency_staff", "town_operator", "superuser"}
VERIFIERS = {"village_cadre", "town_operator", "superuser"}
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("draft", "publish"): PUBLISHERS,
    ("open", "withdraw"): PUBLISHERS,
    ("open", "claim"): {"agency_staff", "agency_b_staff", "town_operator", "superuser"},
    ("claimed", "progress"): CLAIMANT_SIDE,
    ("claimed", "complete"): CLAIMANT_SIDE,
    ("claimed", "withdraw"): PUBLISHERS,
    ("completed", "verify"): VERIFIERS,
    ("completed", "return"): VERIFIERS,
}
TARGET = {
    "publish": "open",
    "withdraw": "withdrawn",
    "claim": "claimed",
    "progress": "claimed",
    "complete": "completed",
    "verify": "verified",
    "return": "claimed",
}
KIND = {
    "publish": "published",
    "withdraw": "withdrawn",
    "claim": "claimed",
    "progress": "progress",
    "complete": "completed",
    "verify": "verified",
    "return": "returned",
}
STATES = ["draft", "open", "claimed", "completed", "verified", "withdrawn"]
ACTIONS = ["publish", "withdraw", "claim", "progress", "complete", "verify", "return"]


@pytest.fixture
def bw(gw):
    return board_world(gw)


def _attempt(world, matter: Matter, action: str, persona: str) -> Matter:
    actor = getattr(world, persona)
    claim = None
    if action == "claim" and persona not in ("agency_staff", "agency_b_staff"):
        claim = ClaimIn(kind="enterprise", name="澄湖建设有限公司")
    photos = [jpeg()] if action in ("progress", "complete") else []
    return services_board.matter_step(
        matter=matter, action=action, actor=actor, text="说明", photos=photos, claim=claim
    )


def _written() -> tuple[int, int, int]:
    return MatterUpdate.objects.count(), AuditEntry.objects.count(), MatterPhoto.objects.count()


@pytest.mark.parametrize("state", STATES)
def test_every_step_is_allowed_exactly_where_the_issue_says(bw, state):
    matter = matter_in(bw, state)
    for action in ACTIONS:
        allowed = EXPECTED.get((state, action), set())
        for persona in PERSONAS:
            before = Matter.objects.filter(pk=matter.pk).values().get()
            counts = _written()
            fresh = Matter.objects.get(pk=matter.pk)
            with transaction.atomic():
                try:
                    done = _attempt(bw, fresh, action, persona)
                except ApplicationError as exc:
                    assert persona not in allowed, f"{state}/{action}/{persona} refused: {exc.message}"
                    assert exc.status in (403, 409), (state, action, persona, exc.status)
                    if (state, action) in EXPECTED:
                        # Open in this state, so the person was refused, not the state.
                        assert isinstance(exc, PermissionDenied), (state, action, persona)
                    elif action == "claim" and state in ("claimed", "completed", "verified"):
                        assert isinstance(exc, Conflict) and exc.code == "already_claimed"
                    else:
                        assert isinstance(exc, Conflict) and exc.code == "wrong_state"
                    assert Matter.objects.filter(pk=matter.pk).values().get() == before
                    assert _written() == counts
                else:
                    assert persona in allowed, f"{state}/{action}/{persona} was allowed"
                    assert done.state == TARGET[action]
                    assert done.version == before["version"] + 1
                    update = MatterUpdate.objects.filter(matter=matter).latest("id")
                    assert update.kind == KIND[action]
                    assert update.author == getattr(bw, persona)
                    assert AuditEntry.objects.filter(
                        action=f"governance.matter_{action}", target_id=str(matter.pk)
                    ).exists()
                    if action in ("progress", "complete"):
                        assert update.photos.count() == 1
                transaction.set_rollback(True)


def test_two_claimants_one_after_the_other_the_second_is_told_who_won_and_nothing_is_written(bw):
    matter = matter_in(bw, "open")
    seen_by_a = Matter.objects.get(pk=matter.pk)
    seen_by_b = Matter.objects.get(pk=matter.pk)
    services_board.matter_claim(matter=seen_by_a, actor=bw.agency_staff, plan="我们来做。")
    counts = _written()
    with pytest.raises(Conflict) as refused:
        services_board.matter_claim(matter=seen_by_b, actor=bw.agency_b_staff, plan="我们也想做。")
    assert refused.value.code == "already_claimed"
    assert refused.value.status == 409
    assert "市水务局 claimed this matter before you" in refused.value.message
    assert _written() == counts
    matter.refresh_from_db()
    assert (matter.state, matter.claimant_agency, matter.plan) == ("claimed", bw.agency, "我们来做。")


def test_a_step_on_an_older_version_is_refused(bw):
    matter = matter_in(bw, "claimed")
    old = matter.version
    services_board.matter_progress(matter=matter, actor=bw.agency_staff, text="第一次进展")
    counts = _written()
    with pytest.raises(Conflict) as refused:
        services_board.matter_progress(
            matter=Matter.objects.get(pk=matter.pk), actor=bw.agency_staff, text="旧表单", version=old
        )
    assert refused.value.code == "stale"
    assert _written() == counts


def test_a_claim_needs_a_plan_and_writes_nothing_without_one(bw):
    matter = matter_in(bw, "open")
    counts = _written()
    with pytest.raises(ApplicationError) as refused:
        services_board.matter_claim(matter=matter, actor=bw.agency_staff, plan="  ")
    assert refused.value.extra["fields"] == {"text": "This field is required."}
    assert _written() == counts
    assert Matter.objects.get(pk=matter.pk).state == "open"


def test_the_town_records_a_claim_for_an_enterprise_and_may_not_verify_it(bw):
    matter = matter_in(bw, "open")
    with pytest.raises(ApplicationError) as refused:
        services_board.matter_claim(matter=matter, actor=bw.town_operator, plan="由企业承办。")
    assert set(refused.value.extra["fields"]) == {"claimant_kind", "claimant_name"}
    matter = services_board.matter_claim(
        matter=matter,
        actor=bw.town_operator,
        plan="由企业承办。",
        claim=ClaimIn(kind="enterprise", name="澄湖建设有限公司"),
    )
    assert (matter.claimant_kind, matter.claimant_name, matter.claimant_agency) == (
        "enterprise",
        "澄湖建设有限公司",
        None,
    )
    matter = services_board.matter_complete(matter=matter, actor=bw.town_operator, text="完工。")
    with pytest.raises(PermissionDenied):
        services_board.matter_verify(matter=matter, actor=bw.town_operator)
    matter = services_board.matter_verify(matter=matter, actor=bw.village_cadre, text="现场看过。")
    assert matter.state == "verified" and matter.verified_by == bw.village_cadre


def test_agency_staff_may_not_claim_for_another_agency(bw):
    matter = matter_in(bw, "open")
    with pytest.raises(PermissionDenied):
        services_board.matter_claim(
            matter=matter, actor=bw.agency_staff, plan="计划", claim=ClaimIn(agency=bw.agency_b)
        )
    assert Matter.objects.get(pk=matter.pk).state == "open"


def test_a_returned_matter_goes_back_to_its_claimant_and_can_be_completed_again(bw):
    matter = matter_in(bw, "completed")
    matter = services_board.matter_return(matter=matter, actor=bw.village_cadre, reason="坡道太陡。")
    assert matter.state == "claimed" and matter.completed_at is None
    matter = services_board.matter_complete(matter=matter, actor=bw.agency_staff, text="坡道已改缓。")
    matter = services_board.matter_verify(matter=matter, actor=bw.village_cadre)
    kinds = list(MatterUpdate.objects.filter(matter=matter).values_list("kind", flat=True))
    assert kinds == ["published", "claimed", "progress", "completed", "returned", "completed", "verified"]


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(bw):
    matter = matter_in(bw, "claimed")
    counts = _written()
    with pytest.raises(ApplicationError) as refused:
        services_board.matter_progress(
            matter=matter, actor=bw.agency_staff, text="进展", photos=[b"<html>not a photo</html>"]
        )
    assert refused.value.code == "photo_unsupported_type"
    assert _written() == counts
    assert Matter.objects.get(pk=matter.pk).version == matter.version


def test_photos_are_stored_stripped_with_a_thumbnail(bw):
    matter = matter_in(bw, "claimed")
    services_board.matter_progress(
        matter=matter, actor=bw.agency_staff, text="进展", photos=[jpeg(size=(800, 600)), jpeg((0, 0, 200))]
    )
    photos = list(MatterPhoto.objects.filter(update__matter=matter, update__kind="progress"))
    assert len(photos) == 2
    first = photos[0]
    assert (first.width, first.height, first.content_type) == (800, 600, "image/jpeg")
    assert first.image.name.startswith(f"governance/matters/{matter.pk}/")
    assert first.thumbnail.size > 0 and len(first.sha256) == 64


def test_a_step_that_takes_no_photos_refuses_them(bw):
    matter = matter_in(bw, "open")
    with pytest.raises(ApplicationError) as refused:
        services_board.matter_step(
            matter=matter, action="claim", actor=bw.agency_staff, text="计划", photos=[jpeg()]
        )
    assert "photos" in refused.value.extra["fields"]


# --- Drafts ---------------------------------------------------------------------------------------


def test_a_village_cadre_publishes_in_the_villages_name_and_the_town_in_its_own(bw):
    by_village = draft(bw, actor=bw.village_cadre, region=bw.grid_a1b)
    by_town = draft(bw, actor=bw.town_operator, region=bw.village_a1)
    town_wide = draft(bw, actor=bw.town_operator, region=bw.town_a)
    assert (by_village.publisher, by_village.village, by_village.town) == (
        bw.village_a1,
        bw.village_a1,
        bw.town_a,
    )
    assert (by_town.publisher, by_town.village, by_town.town) == (bw.town_a, bw.village_a1, bw.town_a)
    assert (town_wide.publisher, town_wide.village, town_wide.town) == (bw.town_a, None, bw.town_a)
    assert by_village.state == "draft" and by_village.published_at is None
    assert AuditEntry.objects.filter(action="governance.matter_create").count() == 3
    assert not MatterUpdate.objects.exists()


@pytest.mark.parametrize(
    "persona", ["resident", "grid_worker", "agency_staff", "outsider", "town_b_operator"]
)
def test_only_a_places_town_or_village_may_draft_for_it(bw, persona):
    with pytest.raises(PermissionDenied):
        draft(bw, actor=getattr(bw, persona), region=bw.grid_a1a)
    assert (
        not Matter.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="governance").exists()
    )


def test_a_village_cadre_may_not_draft_for_the_whole_town(bw):
    with pytest.raises(PermissionDenied):
        draft(bw, actor=bw.village_cadre, region=bw.town_a)


def test_a_draft_needs_a_title_a_need_a_deadline_to_come_and_a_place_in_a_town(bw):
    with pytest.raises(ApplicationError) as refused:
        services_board.matter_create(
            actor=bw.town_operator,
            title="",
            need="",
            budget="-5",
            region=bw.district,
            deadline=timezone.localdate() - timedelta(days=1),
        )
    assert set(refused.value.extra["fields"]) == {"title", "need", "budget", "region", "deadline"}
    assert not Matter.objects.exists()


def test_publishing_at_once_puts_it_on_the_board(bw):
    matter = draft(bw, publish=True)
    assert matter.state == "open" and matter.published_at is not None
    assert list(matter.updates.values_list("kind", flat=True)) == ["published"]


def test_a_draft_can_be_changed_and_a_published_matter_cannot(bw):
    matter = draft(bw)
    changed = services_board.matter_edit(
        actor=bw.village_cadre,
        matter=matter,
        title="新标题",
        need="新需求",
        budget=None,
        region=bw.grid_a1b,
        deadline=matter.deadline,
        version=matter.version,
    )
    assert (changed.title, changed.budget, changed.region, changed.version) == (
        "新标题",
        None,
        bw.grid_a1b,
        1,
    )
    entry = AuditEntry.objects.get(action="governance.matter_edit")
    assert set(entry.changes) == {"title", "need", "budget", "region", "publisher"}
    with pytest.raises(Conflict):
        services_board.matter_edit(
            actor=bw.town_operator,
            matter=changed,
            title="x",
            need="y",
            budget=None,
            region=bw.grid_a1b,
            deadline=matter.deadline,
            version=0,
        )
    published = services_board.matter_publish(matter=changed, actor=bw.town_operator)
    with pytest.raises(Conflict) as refused:
        services_board.matter_edit(
            actor=bw.town_operator,
            matter=published,
            title="x",
            need="y",
            budget=None,
            region=bw.grid_a1b,
            deadline=matter.deadline,
        )
    assert refused.value.code == "not_draft"


def test_an_outsider_may_not_change_a_draft(bw):
    matter = draft(bw)
    with pytest.raises(PermissionDenied):
        services_board.matter_edit(
            actor=bw.outsider,
            matter=matter,
            title="x",
            need="y",
            budget=None,
            region=bw.grid_a1a,
            deadline=matter.deadline,
        )
    assert Matter.objects.get(pk=matter.pk).title == matter.title
