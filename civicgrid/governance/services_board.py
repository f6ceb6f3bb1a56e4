"""Every write to the task board (揭榜领办): drafts, and the steps of a matter's life.

The steps are one table, `STEPS`: (state, action) → the state it leads to, the kind of record it
leaves, who may take it (a rule of `access`), what it needs. `matter_step` is the only code that
moves a matter's state, and it does so by reading the table; the pages and the API read it too, to
offer only the steps a person may take now (`steps_for`).

```
 draft ──publish──> open ──claim──> claimed ──complete──> completed ──verify──> verified
                     │               │  ↺ progress            │
                     └──withdraw──> withdrawn <──withdraw──┘  └──return──> claimed
```

Each step runs in one transaction: a compare-and-set on the state and version read (two claimants
racing: the second updates no row and is refused with a 409, writing nothing), a `MatterUpdate`
row on the matter's record (with its photos), and an audit entry. Photos are validated and stripped
before the transaction starts (`cases.services.photos_clean`: the rules of case photos).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Agency, User
from civicgrid.cases.services import photos_clean
from civicgrid.core import audit
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, invalid
from civicgrid.governance import access
from civicgrid.governance.models import Matter, MatterPhoto, MatterUpdate
from civicgrid.lib.images import CleanImage
from civicgrid.places.models import Place

S = Matter.State
K = MatterUpdate.Kind

TITLE_MAX = 120
TEXT_MAX = 4000
NAME_MAX = 100
# The budget column holds 12 digits, 2 of them after the point.
BUDGET_MAX = Decimal("9999999999.99")
REGION_LEVELS = (Place.Level.TOWN, Place.Level.VILLAGE, Place.Level.GRID)
# States of a matter someone has claimed (a later claim is told who).
CLAIMED_STATES = (S.CLAIMED, S.COMPLETED, S.VERIFIED)
# Kinds of claimant a town's operator records (an agency claims for itself, through its staff).
OTHER_CLAIMANTS = tuple(k for k in Matter.ClaimantKind.values if k != Matter.ClaimantKind.AGENCY)


# ---------------------------------------------------------------------------------------------
# The steps


@dataclass(frozen=True)
class Step:
    """One row of the board's table: `action` moves a matter from `source` to `target`."""

    action: str
    source: str
    target: str
    kind: str  # the MatterUpdate it records
    label: Promise
    # Who may take it (a rule of `access`, asked with the actor and the matter).
    who: Callable[[Any, Matter], bool]
    # The text the step carries: its label on forms, and whether it is required.
    text_label: Promise
    text_required: bool
    photos: bool = False
    danger: bool = False

    @property
    def audit_action(self) -> str:
        return f"governance.matter_{self.action}"


STEPS: dict[tuple[str, str], Step] = {
    (s.source, s.action): s
    for s in [
        Step("publish", S.DRAFT, S.OPEN, K.PUBLISHED, gettext_lazy("Publish on the board"),
             access.can_edit_matter, gettext_lazy("Note on publishing"), False),
        Step("withdraw", S.OPEN, S.WITHDRAWN, K.WITHDRAWN, gettext_lazy("Withdraw the matter"),
             access.can_edit_matter, gettext_lazy("Why it is withdrawn"), True, danger=True),
        Step("claim", S.OPEN, S.CLAIMED, K.CLAIMED, gettext_lazy("Claim this matter"),
             access.can_claim_matter, gettext_lazy("Your plan: what you will do, by when"), True),
        Step("progress", S.CLAIMED, S.CLAIMED, K.PROGRESS, gettext_lazy("Report progress"),
             access.can_report_progress, gettext_lazy("What has been done"), True, photos=True),
        Step("complete", S.CLAIMED, S.COMPLETED, K.COMPLETED, gettext_lazy("Report it completed"),
             access.can_report_progress, gettext_lazy("What was done in the end"), True, photos=True),
        Step("withdraw", S.CLAIMED, S.WITHDRAWN, K.WITHDRAWN, gettext_lazy("Withdraw the matter"),
             access.can_edit_matter, gettext_lazy("Why it is withdrawn"), True, danger=True),
        Step("verify", S.COMPLETED, S.VERIFIED, K.VERIFIED, gettext_lazy("Verify completion"),
             access.can_verify_matter, gettext_lazy("What was checked on site"), False),
        Step("return", S.COMPLETED, S.CLAIMED, K.RETURNED, gettext_lazy("Return for more work"),
             access.can_verify_matter, gettext_lazy("What is still missing"), True),
    ]
}  # fmt: skip
# Every action, in the order the matter page offers them.
ACTIONS = ("publish", "claim", "progress", "complete", "verify", "return", "withdraw")


def step_of(state: str, action: str) -> Step | None:
    return STEPS.get((state, action))


def steps_for(user, matter: Matter) -> list[Step]:
    """The steps `user` may take on `matter` now, in page order."""
    found = [step_of(matter.state, a) for a in ACTIONS]
    return [s for s in found if s is not None and s.who(user, matter)]


# ---------------------------------------------------------------------------------------------
# Drafts


def _clean_text(value: str, limit: int, errors: dict[str, str], field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("Enter at most %(limit)s characters.") % {"limit": limit}
    return value


def _clean_budget(value: Decimal | str | int | None, errors: dict[str, str]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors["budget"] = _("Enter the budget in yuan, e.g. 12000 or 12000.50.")
        return None
    if amount < 0 or amount > BUDGET_MAX:
        errors["budget"] = _("Enter a budget between 0 and 9,999,999,999.99 yuan.")
    return amount


def region_columns(region: Place) -> tuple[Place | None, Place | None]:
    """The town and village (None for a town-wide matter) of a region, walking up its parents."""
    town = village = None
    node: Place | None = region
    while node is not None:
        if node.level == Place.Level.VILLAGE:
            village = node
        elif node.level == Place.Level.TOWN:
            town = node
            break
        node = node.parent
    return town, village


def _checked_draft(
    *, actor, title: str, need: str, budget, region: Place | None, deadline: date | None
) -> dict[str, Any]:
    """Return a draft's columns, or refuse: field errors (400), or a region the actor may not publish for (403)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "title": _clean_text(title, TITLE_MAX, errors, "title", required=True),
        "need": _clean_text(need, TEXT_MAX, errors, "need", required=True),
        "budget": _clean_budget(budget, errors),
        "deadline": deadline,
    }
    if deadline is None:
        errors["deadline"] = _("Give the date it must be done by.")
    elif deadline < timezone.localdate():
        errors["deadline"] = _("The deadline cannot be in the past.")
    if region is None:
        errors["region"] = _("Choose the town, village or grid the matter serves.")
    elif region.level not in REGION_LEVELS:
        errors["region"] = _("Choose a town, a village or a grid, not a wider region.")
    if errors:
        raise invalid(errors)
    assert region is not None
    level = access.publishing_level(actor, region)
    if level is None:
        raise PermissionDenied(_("You may not publish matters for this place."))
    town, village = region_columns(region)
    if town is None:
        raise invalid({"region": _("Choose a town, a village or a grid, not a wider region.")})
    values.update(
        region=region,
        town=town,
        village=village,
        publisher=town if level == "town" or village is None else village,
    )
    return values


DRAFT_FIELDS = ["title", "need", "budget", "region", "deadline", "publisher"]


@transaction.atomic
def matter_create(
    *,
    actor: User,
    title: str,
    need: str,
    budget: Decimal | str | None,
    region: Place,
    deadline: date,
    publish: bool = False,
) -> Matter:
    """Draft a matter for a place the actor publishes for (their town, or their village and its grids);
    with `publish`, put it on the board at once."""
    values = _checked_draft(
        actor=actor, title=title, need=need, budget=budget, region=region, deadline=deadline
    )
    matter = Matter.objects.create(created_by=actor, state=S.DRAFT, **values)
    audit.record(
        actor=actor,
        action="governance.matter_create",
        target=matter,
        place_code=region.code,
        changes=audit.as_created(audit.snapshot(matter, DRAFT_FIELDS)),
    )
    if publish:
        matter = matter_step(matter=matter, action="publish", actor=actor)
    return matter


@transaction.atomic
def matter_edit(
    *,
    actor: User,
    matter: Matter,
    title: str,
    need: str,
    budget: Decimal | str | None,
    region: Place,
    deadline: date,
    version: int | None = None,
    publish: bool = False,
) -> Matter:
    """Change a draft (a published matter's terms are what its claimant took up: they stay); with
    `publish`, put it on the board in the same transaction."""
    if not access.can_edit_matter(actor, matter):
        raise PermissionDenied(_("You may not change this matter."))
    if matter.state != S.DRAFT:
        raise Conflict(
            _("Only a draft can be changed; this matter is already on the board."), code="not_draft"
        )
    if version is not None and version != matter.version:
        raise Conflict(_stale_message(), code="stale")
    values = _checked_draft(
        actor=actor, title=title, need=need, budget=budget, region=region, deadline=deadline
    )
    before = audit.snapshot(matter, DRAFT_FIELDS)
    updated = Matter.objects.filter(pk=matter.pk, state=S.DRAFT, version=matter.version).update(
        version=F("version") + 1, **values
    )
    if not updated:
        raise Conflict(_stale_message(), code="stale")
    matter.refresh_from_db()
    audit.record(
        actor=actor,
        action="governance.matter_edit",
        target=matter,
        place_code=matter.region.code,
        changes=audit.diff(before, audit.snapshot(matter, DRAFT_FIELDS)),
    )
    if publish:
        matter = matter_step(matter=matter, action="publish", actor=actor)
    return matter


# ---------------------------------------------------------------------------------------------
# Steps


def _stale_message() -> str:
    return _("Someone else changed this matter first. This is its current state; check it before acting.")


def step_conflict(matter: Matter, action: str) -> Conflict:
    """The refusal of a step someone else's step got ahead of, said from the matter as it is now:
    a claim that came second names who claimed first."""
    if action == "claim" and matter.state in CLAIMED_STATES and matter.claimant_name:
        return Conflict(
            _("%(name)s claimed this matter before you: it is no longer open to claim.")
            % {"name": matter.claimant_name},
            code="already_claimed",
        )
    return Conflict(_stale_message(), code="stale")


def _conflict_after(matter: Matter, action: str) -> Conflict:
    """The refusal of a step that lost the compare-and-set (read again: what happened meanwhile)."""
    now = Matter.objects.filter(pk=matter.pk).first()
    return step_conflict(now or matter, action)


@dataclass(frozen=True)
class ClaimIn:
    """Who claims: an agency (its staff claim for it), or a claimant without an account whom a
    town's operator records (`kind` one of OTHER_CLAIMANTS, with a name)."""

    agency: Agency | None = None
    kind: str = ""
    name: str = ""


def _claim_columns(actor, matter: Matter, claim: ClaimIn, errors: dict[str, str]) -> dict[str, Any]:
    agency = claim.agency
    if agency is None and not claim.kind and not claim.name:
        own = sorted(access.claimable_agency_ids(actor))
        if len(own) == 1:
            agency = Agency.objects.filter(pk=own[0]).first()
    if agency is not None:
        if not access.can_claim_for_agency(actor, agency.pk):
            raise PermissionDenied(_("You may claim a matter only for your own agency."))
        return {
            "claimant_kind": Matter.ClaimantKind.AGENCY,
            "claimant_agency": agency,
            "claimant_name": agency.name,
        }
    if not access.can_record_claim_for_others(actor, matter):
        if access.claimable_agency_ids(actor):
            errors["agency"] = _("Choose the agency you claim it for.")
            return {}
        raise PermissionDenied(_("You may not claim this matter."))
    if claim.kind not in OTHER_CLAIMANTS:
        errors["claimant_kind"] = _("Choose what kind of claimant this is.")
    name = _clean_text(claim.name, NAME_MAX, errors, "claimant_name", required=True)
    return {"claimant_kind": claim.kind, "claimant_agency": None, "claimant_name": name}


def _photos_save(update: MatterUpdate, photos: Sequence[CleanImage]) -> None:
    for number, photo in enumerate(photos, start=1):
        stem = f"{update.pk}-{number}-{photo.sha256[:12]}"
        record = MatterPhoto(
            update=update,
            content_type=photo.content_type,
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
        )
        record.image.save(f"{stem}{photo.extension}", ContentFile(photo.content), save=False)
        record.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(photo.thumbnail), save=False)
        record.save()


def matter_step(
    *,
    matter: Matter,
    action: str,
    actor: User,
    text: str = "",
    photos: Sequence[BinaryIO | bytes] = (),
    claim: ClaimIn | None = None,
    version: int | None = None,
) -> Matter:
    """Take one step of the table on a matter and record it.

    1. Look (state, action) up in STEPS: an unknown action is not found (404); one not open in the
       matter's state is a conflict (409); a person the step's rule refuses is refused (403); a
       `version` other than the matter's (a form from before someone else's step) is a conflict.
    2. Check the text, the claimant and the photos (validated and stripped before any transaction).
    3. In one transaction: update the row only if its state and version are still those read (else
       someone else got there first: 409, nothing written), append the MatterUpdate with its photos,
       write the audit entry.
    """
    step = step_of(matter.state, action)
    if step is None:
        if action not in ACTIONS:
            raise NotFound(
                _("There is no step “%(action)s”.") % {"action": action[:40]}, code="unknown_action"
            )
        if action == "claim" and matter.state in CLAIMED_STATES:
            raise step_conflict(matter, action)
        raise Conflict(
            _("This cannot be done while the matter is “%(state)s”.") % {"state": matter.get_state_display()},
            code="wrong_state",
        )
    if not step.who(actor, matter):
        raise PermissionDenied(_("You may not do this on this matter."))
    if version is not None and version != matter.version:
        raise Conflict(_stale_message(), code="stale")
    errors: dict[str, str] = {}
    text = _clean_text(text, TEXT_MAX, errors, "text", required=step.text_required)
    now = timezone.now()
    changes: dict[str, Any] = {}
    if action == "publish":
        changes["published_at"] = now
    elif action == "claim":
        changes.update(_claim_columns(actor, matter, claim or ClaimIn(), errors))
        changes.update(claimed_by=actor, claimed_at=now, plan=text)
    elif action == "complete":
        changes["completed_at"] = now
    elif action == "verify":
        changes.update(verified_at=now, verified_by=actor)
    elif action == "return":
        changes["completed_at"] = None
    if photos and not step.photos:
        errors["photos"] = _("This step takes no photos.")
    if errors:
        raise invalid(errors)
    cleaned = photos_clean(list(photos)) if photos else []
    with transaction.atomic():
        updated = Matter.objects.filter(pk=matter.pk, state=matter.state, version=matter.version).update(
            state=step.target, version=F("version") + 1, **changes
        )
        if not updated:
            raise _conflict_after(matter, action)
        update = MatterUpdate.objects.create(matter=matter, kind=step.kind, author=actor, text=text)
        _photos_save(update, cleaned)
        record: dict[str, Any] = {"state": {"from": matter.state, "to": step.target}}
        if action == "claim":
            record["claimant_name"] = {"to": changes["claimant_name"]}
        if cleaned:
            record["photos"] = {"to": len(cleaned)}
        audit.record(
            actor=actor,
            action=step.audit_action,
            target=matter,
            place_code=matter.region.code,
            changes=record,
        )
    matter.refresh_from_db()
    return matter


def matter_publish(*, matter: Matter, actor: User, text: str = "", version: int | None = None) -> Matter:
    return matter_step(matter=matter, action="publish", actor=actor, text=text, version=version)


def matter_withdraw(*, matter: Matter, actor: User, reason: str, version: int | None = None) -> Matter:
    return matter_step(matter=matter, action="withdraw", actor=actor, text=reason, version=version)


def matter_claim(
    *, matter: Matter, actor: User, plan: str, claim: ClaimIn | None = None, version: int | None = None
) -> Matter:
    return matter_step(matter=matter, action="claim", actor=actor, text=plan, claim=claim, version=version)


def matter_progress(
    *,
    matter: Matter,
    actor: User,
    text: str,
    photos: Sequence[BinaryIO | bytes] = (),
    version: int | None = None,
) -> Matter:
    return matter_step(
        matter=matter, action="progress", actor=actor, text=text, photos=photos, version=version
    )


def matter_complete(
    *,
    matter: Matter,
    actor: User,
    text: str,
    photos: Sequence[BinaryIO | bytes] = (),
    version: int | None = None,
) -> Matter:
    return matter_step(
        matter=matter, action="complete", actor=actor, text=text, photos=photos, version=version
    )


def matter_verify(*, matter: Matter, actor: User, text: str = "", version: int | None = None) -> Matter:
    return matter_step(matter=matter, action="verify", actor=actor, text=text, version=version)


def matter_return(*, matter: Matter, actor: User, reason: str, version: int | None = None) -> Matter:
    return matter_step(matter=matter, action="return", actor=actor, text=reason, version=version)
