"""Reads of the task board: the public board by keyset pages, one matter with its record, "my
matters", and the rows of the Excel export. Who reads what is `access`'s rule; these only query.

The public board lists published matters (`published_at` is set by the publish step and never
cleared, so it is also "not a draft"), newest published first, through the indexes on
(-published_at, -id), (town, -published_at, -id) and (village, -published_at, -id). Drafts are
listed apart, newest first by id, to those who may read them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from civicgrid.core.errors import NotFound
from civicgrid.governance import access
from civicgrid.governance.models import Matter, MatterUpdate
from civicgrid.lib import keyset
from civicgrid.places.models import Place

S = Matter.State
PAGE_SIZE = 20
# Published matters, newest published first (the board).
BOARD_ORDER = keyset.Order(
    "b",
    (keyset.Column("published_at", "time", descending=True), keyset.Column("id", "int", descending=True)),
)
# Drafts and "my matters": newest first.
NEWEST_ORDER = keyset.Order("n", (keyset.Column("id", "int", descending=True),))
# What a card or a row of the export shows besides the matter's own columns.
CARD_RELATED = ("region", "town", "village", "claimant_agency")
# A town's export stops here (a town has a few hundred matters; the bound keeps a runaway file out).
EXPORT_MAX_ROWS = 20_000


@dataclass(frozen=True)
class BoardFilters:
    """What the board is narrowed to; empty values do not filter. A village wins over its town."""

    state: str = ""
    town: Place | None = None
    village: Place | None = None

    @property
    def any(self) -> bool:
        return bool(self.state or self.town or self.village)


def drafts_visible(user) -> QuerySet[Matter]:
    """The drafts `user` may read (those of the regions they publish for or read)."""
    everything, prefixes = access.draft_prefixes(user)
    qs = Matter.objects.filter(state=S.DRAFT)
    if everything:
        return qs
    if not prefixes:
        return qs.none()
    condition = Q()
    for prefix in prefixes:
        condition |= Q(region__code__startswith=prefix)
    return qs.filter(condition)


def may_list_drafts(user) -> bool:
    everything, prefixes = access.draft_prefixes(user)
    return everything or bool(prefixes)


def board_states(user) -> list[tuple[str, str]]:
    """The states the board filters by for `user`: every published state; drafts for those who read some."""
    states = [(value, str(label)) for value, label in S.choices if value != S.DRAFT]
    if may_list_drafts(user):
        states.insert(0, (S.DRAFT, str(S.DRAFT.label)))
    return states


def _narrowed(qs: QuerySet[Matter], filters: BoardFilters) -> QuerySet[Matter]:
    if filters.village is not None:
        return qs.filter(village=filters.village)
    if filters.town is not None:
        return qs.filter(town=filters.town)
    return qs


def board_page(user, *, filters: BoardFilters, cursor: str = "", size: int = PAGE_SIZE) -> keyset.Page:
    """One page of the board (one query): published matters in any state, or (`state` draft) the
    drafts `user` may read. Raises keyset.InvalidCursor for a cursor that is not one of this list."""
    if filters.state == S.DRAFT:
        qs, order = drafts_visible(user), NEWEST_ORDER
    else:
        qs, order = Matter.objects.filter(published_at__isnull=False), BOARD_ORDER
        if filters.state:
            qs = qs.filter(state=filters.state)
    qs = _narrowed(qs, filters).select_related(*CARD_RELATED).order_by(*order.order_by())
    return keyset.page_after(qs, order, cursor, size)


def matter_get(user, pk: int) -> Matter:
    """Return the matter `pk` with what its page shows, or NotFound (also for a draft `user` may not
    read, so its existence is not disclosed)."""
    matter = (
        Matter.objects.select_related(*CARD_RELATED, "publisher", "created_by", "claimed_by", "verified_by")
        .filter(pk=pk)
        .first()
    )
    if matter is None or not access.can_view_matter(user, matter):
        raise NotFound(_("No such matter on the board."))
    return matter


def matter_record(matter: Matter) -> list[MatterUpdate]:
    """A matter's record, oldest first, with authors and photos (two queries)."""
    return list(
        MatterUpdate.objects.filter(matter=matter)
        .select_related("author")
        .prefetch_related("photos")
        .order_by("at", "id")
    )


# --- My matters ----------------------------------------------------------------------------------


def mine_tabs(user) -> list[str]:
    """The lists of "my matters" `user` has: "claimed" (their agency's, or claims they recorded) and
    "published" (their town's or village's, drafts included)."""
    tabs = []
    if access.claimable_agency_ids(user):
        tabs.append("claimed")
    if access.publisher_places(user) or access.is_root(user):
        tabs.append("published")
    return tabs


def mine_page(user, *, tab: str, cursor: str = "", size: int = PAGE_SIZE) -> keyset.Page:
    """One page of "my matters", newest first."""
    if tab == "claimed":
        agencies = access.claimable_agency_ids(user)
        qs = Matter.objects.filter(Q(claimant_agency_id__in=agencies) | Q(claimed_by_id=user.pk))
    elif access.is_root(user):
        qs = Matter.objects.all()
    else:
        condition = Q(pk__in=[])
        for place in access.publisher_places(user):
            condition |= Q(village=place) if place.level == Place.Level.VILLAGE else Q(town=place)
        qs = Matter.objects.filter(condition)
    qs = qs.select_related(*CARD_RELATED).order_by(*NEWEST_ORDER.order_by())
    return keyset.page_after(qs, NEWEST_ORDER, cursor, size)


# --- Filters' choices ----------------------------------------------------------------------------


def towns() -> list[Place]:
    return list(Place.objects.filter(level=Place.Level.TOWN).order_by("code"))


def villages_of(town: Place | None) -> list[Place]:
    if town is None:
        return []
    return list(Place.objects.filter(parent=town, level=Place.Level.VILLAGE).order_by("code"))


def place_by_code(code: str, level: str) -> Place | None:
    code = (code or "").strip()
    if not code or len(code) > 15 or not code.isdigit():
        return None
    return Place.objects.select_related("parent").filter(code=code, level=level).first()


# --- Export --------------------------------------------------------------------------------------


EXPORT_COLUMNS = (
    "pk",
    "title",
    "state",
    "region__name",
    "region__code",
    "village__name",
    "need",
    "budget",
    "deadline",
    "publisher__name",
    "published_at",
    "claimant_kind",
    "claimant_name",
    "claimed_at",
    "plan",
    "completed_at",
    "verified_at",
)


def export_rows(user, town: Place, *, chunk: int = 1000) -> Iterator[tuple]:
    """The town's matters for its export, published first (newest first), then its drafts when
    `user` reads them; streamed from the database, at most EXPORT_MAX_ROWS."""
    published = (
        Matter.objects.filter(town=town, published_at__isnull=False)
        .order_by("-published_at", "-id")
        .values_list(*EXPORT_COLUMNS)
    )
    drafts = drafts_visible(user).filter(town=town).order_by("-id").values_list(*EXPORT_COLUMNS)
    count = 0
    for qs in (published, drafts):
        for row in qs.iterator(chunk_size=chunk):
            if count >= EXPORT_MAX_ROWS:
                return
            count += 1
            yield row


def update_counts(matter_ids: list[int]) -> dict[int, tuple[int, object]]:
    """(progress reports, time of the last step) of each matter, for the export's rows."""
    rows = (
        MatterUpdate.objects.filter(matter_id__in=matter_ids)
        .values("matter_id")
        .annotate(progress=Count("id", filter=Q(kind=MatterUpdate.Kind.PROGRESS)), last=Max("at"))
    )
    return {r["matter_id"]: (r["progress"], r["last"]) for r in rows}


def export_town(user, chosen: Place | None) -> Place | None:
    """The town whose board `user` exports from the board page: the one chosen in the filters when
    they may export it, else their own town (None: no export for them)."""
    if chosen is not None and access.can_export_board(user, chosen):
        return chosen
    return next(iter(access.board_towns(user)), None)
