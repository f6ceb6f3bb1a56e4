"""What a given viewer sees of a matter on the task board: built once, for the pages and the API.

Everyone reads a published matter: its need, budget, region, deadline, claimant, plan, record and
the thumbnails of its progress photos. Its insiders (`access.is_matter_insider`: who publishes,
claims, reports on or verifies it, and the region's staff) also open the photos at full size and
read who took each step; the public reads the side that took it (the claimant, the town or village).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from civicgrid.governance import access, selectors_board
from civicgrid.governance.models import Matter, MatterPhoto, MatterUpdate
from civicgrid.governance.services_board import Step, steps_for

S = Matter.State
K = MatterUpdate.Kind
# States whose deadline can pass: the matter waits for a claimant, or for the work.
RUNNING = (S.OPEN, S.CLAIMED)
# The steps the claimant's side takes (the public reads the claimant's name on them).
CLAIMANT_STEPS = (K.CLAIMED, K.PROGRESS, K.COMPLETED)


@dataclass
class MatterCard:
    """A matter in a list: the board, "my matters"."""

    id: int
    title: str
    state: str
    state_label: str
    place: str
    town: str
    budget: Decimal | None
    deadline: date
    is_overdue: bool
    claimant: str
    claimant_kind_label: str
    published_at: datetime | None
    url: str


@dataclass
class PhotoView:
    id: int
    thumbnail_url: str
    # "" when the viewer gets the thumbnail only.
    url: str
    width: int
    height: int


@dataclass
class EntryView:
    """One step on the matter's record."""

    id: int
    kind: str
    label: str
    at: datetime
    actor: str
    text: str
    photos: list[PhotoView] = field(default_factory=list)


@dataclass
class MatterView:
    card: MatterCard
    need: str
    plan: str
    publisher: str
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None
    verified_at: datetime | None
    # Newest first.
    entries: list[EntryView]
    photos: list[PhotoView]
    steps: list[Step]
    can_edit: bool
    insider: bool
    version: int


def place_text(matter: Matter) -> str:
    """The region with what holds it: "Village · Grid", "Town · Village", "Town"."""
    region = matter.region
    if region.level == "grid" and matter.village is not None:
        return f"{matter.village.display_name} · {region.display_name}"
    if region.level == "village":
        return f"{matter.town.display_name} · {region.display_name}"
    return region.display_name


def is_overdue(matter: Matter, today: date | None = None) -> bool:
    return matter.state in RUNNING and matter.deadline < (today or timezone.localdate())


def matter_card(matter: Matter, today: date | None = None) -> MatterCard:
    """A matter read with `selectors_board.CARD_RELATED`; the same for every viewer (lists hold only
    what is public, and drafts only for those who may read them)."""
    return MatterCard(
        id=matter.pk,
        title=matter.title,
        state=matter.state,
        state_label=str(matter.get_state_display()),
        place=place_text(matter),
        town=matter.town.display_name,
        budget=matter.budget,
        deadline=matter.deadline,
        is_overdue=is_overdue(matter, today),
        claimant=matter.claimant_name,
        claimant_kind_label=str(matter.get_claimant_kind_display()) if matter.claimant_kind else "",
        published_at=matter.published_at,
        url=reverse("governance:board_detail", args=[matter.pk]),
    )


def matter_cards(matters: list[Matter]) -> list[MatterCard]:
    today = timezone.localdate()
    return [matter_card(m, today) for m in matters]


def photo_sizes(viewer, matter: Matter) -> set[str]:
    """The sizes of a matter's photos `viewer` may open: none of a draft they may not read."""
    if not access.can_view_matter(viewer, matter):
        return set()
    return {"thumb", "full"} if access.is_matter_insider(viewer, matter) else {"thumb"}


def photo_view(matter: Matter, photo: MatterPhoto, sizes: set[str]) -> PhotoView:
    def url(size: str) -> str:
        return reverse("governance:board_photo", args=[matter.pk, photo.pk, size])

    return PhotoView(
        id=photo.pk,
        thumbnail_url=url("thumb"),
        url=url("full") if "full" in sizes else "",
        width=photo.width,
        height=photo.height,
    )


def _side(matter: Matter, update: MatterUpdate) -> str:
    """Who took a step, as the public reads it: the claimant, or the town or village."""
    if update.kind in CLAIMANT_STEPS:
        return matter.claimant_name
    if update.kind in (K.VERIFIED, K.RETURNED):
        return (matter.village or matter.town).display_name
    return matter.publisher.display_name


def matter_view(viewer, matter: Matter) -> MatterView:
    """What `viewer` sees of `matter` (read by `selectors_board.matter_get`, which refuses a draft
    they may not read)."""
    insider = access.is_matter_insider(viewer, matter)
    sizes = photo_sizes(viewer, matter)
    entries = []
    photos: list[PhotoView] = []
    for update in selectors_board.matter_record(matter):
        shown = [photo_view(matter, p, sizes) for p in update.photos.all()]
        photos.extend(shown)
        actor = str(update.author) if insider and update.author is not None else _side(matter, update)
        entries.append(
            EntryView(
                id=update.pk,
                kind=update.kind,
                label=str(update.get_kind_display()),
                at=update.at,
                actor=actor,
                text=update.text,
                photos=shown,
            )
        )
    entries.reverse()
    return MatterView(
        card=matter_card(matter),
        need=matter.need,
        plan=matter.plan,
        publisher=matter.publisher.display_name,
        created_at=matter.created_at,
        claimed_at=matter.claimed_at,
        completed_at=matter.completed_at,
        verified_at=matter.verified_at,
        entries=entries,
        photos=photos,
        steps=steps_for(viewer, matter),
        can_edit=matter.state == S.DRAFT and access.can_edit_matter(viewer, matter),
        insider=insider,
        version=matter.version,
    )
