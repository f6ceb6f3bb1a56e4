"""Keeping the standard address register: add, correct, merge, retire, aliases, an operator's placement.

Every write checks `access` (the register of the grid is the writer's to keep), validates its input
with translated errors naming the fields (`extra.fields`), runs in one transaction and records its
audit entry (`civicgrid.core.audit`, codes in `AUDIT_ACTIONS`, declared by the app's config) in that
same transaction. Texts and keys come from `normalize` only: `address_fields` for an address given
in parts, `text_key` for one written as a whole.

Used by the register's pages, the importer (`importer.py`: the command and the upload page) and the
12345 unrouted queue (`placement_remember`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import User
from civicgrid.addresses import access, counts, matching, normalize
from civicgrid.addresses.models import Address, AddressAlias
from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError, Conflict, invalid
from civicgrid.places import routing
from civicgrid.places.models import Place

AUDIT_ACTIONS = {
    "addresses.add": gettext_lazy("Standard address added"),
    "addresses.update": gettext_lazy("Standard address corrected"),
    "addresses.merge": gettext_lazy("Standard address merged into another"),
    "addresses.retire": gettext_lazy("Standard address retired"),
    "addresses.alias_add": gettext_lazy("Address alias added"),
    "addresses.alias_remove": gettext_lazy("Address alias removed"),
    "addresses.placement": gettext_lazy("Operator's placement kept as an address alias"),
}
AUDIT_TERMS = {
    "aliases": gettext_lazy("aliases"),
    "survivor": gettext_lazy("kept address"),
    "moved_aliases": gettext_lazy("aliases moved"),
    "moved_from": gettext_lazy("moved from the address"),
}

PARTS = ("road", "number", "compound", "building", "unit")
# The longest each part may be (the model's columns).
PART_MAX = {"road": 60, "number": 20, "compound": 60, "building": 20, "unit": 20}
TEXT_MAX = 200
# At most this many aliases per address given at once (a form, an import row).
ALIASES_MAX = 20
# Fields an address's audit entry records.
AUDITED = ["grid", "road", "number", "compound", "building", "unit", "text", "lon", "lat", "status"]


# ---------------------------------------------------------------------------------------------
# Checks shared by the writes


T = TypeVar("T")


def _register_write(func: Callable[..., T]) -> Callable[..., T]:
    """Run a write of the register in one transaction that also tells the matcher the register
    changed (`matching.register_changed`), so new names are found by every process."""

    @functools.wraps(func)
    def write(*args: Any, **kwargs: Any) -> T:
        with transaction.atomic():
            result = func(*args, **kwargs)
            matching.register_changed()
        return result

    return write


def _parts(values: dict[str, Any], *, whole: bool = False) -> dict[str, str]:
    """Return the parts, trimmed; refuse over-long ones and an address with neither road nor compound
    (unless it is given `whole`, as one text)."""
    parts = {name: " ".join(str(values.get(name) or "").split()) for name in PARTS}
    errors = {
        name: _("At most %(n)d characters.") % {"n": PART_MAX[name]}
        for name, value in parts.items()
        if len(value) > PART_MAX[name]
    }
    if whole:
        if errors:
            raise invalid(errors)
        return parts
    if not parts["road"] and not parts["compound"]:
        errors["road"] = _("Give the road or street, or the residential compound.")
    if parts["number"] and not parts["road"]:
        errors.setdefault("number", _("A number belongs to a road: give the road too."))
    if parts["unit"] and not parts["building"]:
        errors.setdefault("unit", _("A unit belongs to a building: give the building too."))
    if errors:
        raise invalid(errors)
    return parts


def _fields(parts: dict[str, str], text: str = "") -> dict[str, str]:
    """Return the register's text and keys of an address (`text`: as imported, instead of the parts joined)."""
    if text and not any(parts.values()):
        # Nothing the normaliser could split: the address is found by its whole text.
        fields = {"text": text, "key": normalize.text_key(text)}
    else:
        fields = normalize.address_fields(**parts)
    if text:
        fields["text"] = text
    if not fields.get("text") or not fields.get("key"):
        raise invalid({"road": _("This address cannot be read: write its road and number, or its compound.")})
    if len(fields["text"]) > TEXT_MAX:
        raise invalid({"road": _("The whole address has at most %(n)d characters.") % {"n": TEXT_MAX}})
    return fields


def address_url(address: Address | int) -> str:
    return reverse("addresses:detail", args=[address if isinstance(address, int) else address.pk])


def _duplicate_error(other: Address) -> Conflict:
    return Conflict(
        _("This grid already has this address: %(text)s.") % {"text": other.text},
        code="duplicate",
        extra={"address_id": other.pk, "text": other.text, "url": address_url(other)},
    )


def same_in_grid(grid_code: str, key: str, *, exclude: Address | None = None) -> Address | None:
    """Return the active address of the grid that is written `key`, as itself or as one of its aliases."""
    qs = Address.objects.filter(grid_code=grid_code, key=key, status=Address.Status.ACTIVE)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    found = qs.first()
    if found is not None:
        return found
    aliases = AddressAlias.objects.filter(
        grid_code=grid_code, key=key, address__status=Address.Status.ACTIVE
    ).select_related("address")
    if exclude is not None:
        aliases = aliases.exclude(address=exclude)
    alias = aliases.first()
    return alias.address if alias is not None else None


def _refuse_duplicate(grid: Place, key: str, *, exclude: Address | None = None) -> None:
    other = same_in_grid(grid.code, key, exclude=exclude)
    if other is not None:
        raise _duplicate_error(other)


def _point(grid: Place, lon: Any, lat: Any, crs: str) -> tuple[float | None, float | None]:
    """Return the WGS-84 point, checked to lie in `grid` (None, None without a point)."""
    given = [v not in (None, "") for v in (lon, lat)]
    if not any(given):
        return None, None
    if not all(given):
        raise invalid({"lon": _("Give both the longitude and the latitude, or neither.")})
    try:
        where = routing.locate(lon, lat, crs or "wgs84")
    except ApplicationError as exc:
        raise invalid({"lon": exc.message}, code=exc.code) from None
    if not where.routed or where.grid is None or where.grid.id != grid.pk:
        if where.grid is not None:
            message = _("This point lies in %(other)s, not in %(grid)s.") % {
                "other": where.grid.name,
                "grid": grid.display_name,
            }
        else:
            message = _("This point lies outside every grid, not in %(grid)s.") % {"grid": grid.display_name}
        raise invalid({"lon": message}, code="outside_grid")
    return round(where.lon, 7), round(where.lat, 7)


def _check_grid(user: User | None, grid: Place) -> None:
    if grid.level != Place.Level.GRID:
        raise invalid({"grid": _("Choose a grid: an address belongs to one grid.")})
    if user is not None:
        access.check_keep(user, grid)


def _alias_texts(aliases: Iterable[str]) -> list[str]:
    texts = [" ".join(str(a).split()) for a in aliases]
    texts = list(dict.fromkeys(t for t in texts if t))
    if len(texts) > ALIASES_MAX:
        raise invalid({"aliases": _("At most %(n)d aliases at once.") % {"n": ALIASES_MAX}})
    for text in texts:
        if len(text) > TEXT_MAX:
            raise invalid({"aliases": _("An alias has at most %(n)d characters.") % {"n": TEXT_MAX}})
    return texts


def _alias_create(*, address: Address, text: str, kind: str, user: User | None) -> AddressAlias | None:
    """Add an alias unless the address already has one written the same (or is written so itself)."""
    key = normalize.text_key(text)
    if not key or key == address.key or address.aliases.filter(key=key).exists():
        return None
    return AddressAlias.objects.create(
        address=address,
        grid_code=address.grid_code,
        text=text[:TEXT_MAX],
        key=key,
        kind=kind,
        created_by=user if user is not None and user.is_authenticated else None,
    )


def _locked(address: Address) -> Address:
    """Read the address again under a row lock (PostgreSQL; SQLite's write transactions are serial)."""
    return Address.objects.select_for_update().select_related("grid").get(pk=address.pk)


def _active(address: Address) -> None:
    if address.status != Address.Status.ACTIVE:
        raise Conflict(
            _("%(text)s is no longer in use (%(status)s): it cannot be changed.")
            % {"text": address.text, "status": address.get_status_display()},
            code="not_active",
        )


# ---------------------------------------------------------------------------------------------
# Writes


@_register_write
def address_add(
    *,
    user: User | None,
    grid: Place,
    road: str = "",
    number: str = "",
    compound: str = "",
    building: str = "",
    unit: str = "",
    text: str = "",
    lon: Any = None,
    lat: Any = None,
    crs: str = "wgs84",
    aliases: Iterable[str] = (),
    source: str = Address.Source.WORKER,
) -> Address:
    """Add an address to a grid's register.

    1. `user` must keep the grid (None: a command acting for the system, checked by its caller).
    2. The parts are checked; text and keys come from `normalize` (`text`: a whole address as
       imported, kept as written).
    3. An active address of the grid written the same (itself or an alias) is refused with its link.
    4. A point must lie in the grid's boundary (`places.routing`), given in `crs`; it is kept in WGS-84.
    5. The address, its aliases and the audit entry are written together.
    """
    _check_grid(user, grid)
    text = " ".join(str(text or "").split())
    values = {"road": road, "number": number, "compound": compound, "building": building, "unit": unit}
    if text and not any(str(v or "").strip() for v in values.values()):
        # A whole address: its parts as the normaliser reads them.
        parsed = normalize.parse(text)
        values = {name: getattr(parsed, name, "") for name in PARTS}
    parts = _parts(values, whole=bool(text))
    fields = _fields(parts, text)
    alias_texts = _alias_texts(aliases)
    lon_value, lat_value = _point(grid, lon, lat, crs)
    _refuse_duplicate(grid, fields["key"])
    address = Address.objects.create(
        grid=grid,
        grid_code=grid.code,
        **parts,
        **fields,
        lon=lon_value,
        lat=lat_value,
        source=source,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    kept = [
        a.text
        for t in alias_texts
        if (a := _alias_create(address=address, text=t, kind=AddressAlias.Kind.ALIAS, user=user))
    ]
    changes = audit.as_created(audit.snapshot(address, AUDITED))
    if kept:
        changes["aliases"] = {"to": kept}
    counts.recount([grid.pk])
    audit.record(actor=user, action="addresses.add", target=address, place_code=grid.code, changes=changes)
    return address


@_register_write
def address_update(
    *,
    user: User | None,
    address: Address,
    road: str = "",
    number: str = "",
    compound: str = "",
    building: str = "",
    unit: str = "",
    lon: Any = None,
    lat: Any = None,
    crs: str = "wgs84",
) -> Address:
    """Correct an address's parts and point (no point given: it has none after).

    The grid stays (a building does not move; a wrong grid is a retire and an add, or a merge). When
    the text changes, the old text becomes a "former name" alias, so orders written the old way still
    find it. Refused: a merged or retired address, a text another address of the grid already has, a
    point outside the grid.
    """
    address = _locked(address)
    grid = address.grid
    _check_grid(user, grid)
    _active(address)
    parts = _parts({"road": road, "number": number, "compound": compound, "building": building, "unit": unit})
    fields = _fields(parts)
    lon_value, lat_value = _point(grid, lon, lat, crs)
    _refuse_duplicate(grid, fields["key"], exclude=address)
    before = audit.snapshot(address, AUDITED)
    old_text = address.text
    for name, value in {**parts, **fields, "lon": lon_value, "lat": lat_value}.items():
        setattr(address, name, value)
    address.save()
    changes = audit.diff(before, audit.snapshot(address, AUDITED))
    if not changes:
        return address
    if old_text != address.text:
        former = _alias_create(address=address, text=old_text, kind=AddressAlias.Kind.FORMER, user=user)
        if former is not None:
            changes["aliases"] = {"to": [former.text]}
    counts.recount([grid.pk])
    audit.record(actor=user, action="addresses.update", target=address, place_code=grid.code, changes=changes)
    return address


@_register_write
def address_merge(*, user: User | None, duplicate: Address, survivor: Address) -> Address:
    """Merge `duplicate` into `survivor`: two records of one building become one.

    1. Both must be in use and kept by `user`; an address is not merged into itself.
    2. The duplicate's aliases move to the survivor (those it already has stay with the duplicate),
       and its text becomes an alias of the survivor.
    3. The duplicate becomes "merged" with `merged_into`; addresses merged into it before now point
       to the survivor. Nothing is deleted: orders and cases that point to the duplicate keep doing so.
    Returns the survivor.
    """
    if duplicate.pk == survivor.pk:
        raise invalid({"duplicate": _("An address cannot be merged into itself.")})
    first, second = sorted([duplicate, survivor], key=lambda a: a.pk)
    first, second = _locked(first), _locked(second)
    duplicate, survivor = (first, second) if first.pk == duplicate.pk else (second, first)
    for address in (duplicate, survivor):
        _check_grid(user, address.grid)
        _active(address)
    survivor_keys = set(survivor.aliases.values_list("key", flat=True)) | {survivor.key}
    moved = []
    for alias in duplicate.aliases.all():
        if alias.key in survivor_keys:
            continue
        alias.address = survivor
        alias.grid_code = survivor.grid_code
        alias.save(update_fields=["address", "grid_code"])
        survivor_keys.add(alias.key)
        moved.append(alias.text)
    if duplicate.key not in survivor_keys:
        AddressAlias.objects.create(
            address=survivor,
            grid_code=survivor.grid_code,
            text=duplicate.text,
            key=duplicate.key,
            kind=AddressAlias.Kind.ALIAS,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        moved.append(duplicate.text)
    Address.objects.filter(merged_into=duplicate).update(merged_into=survivor)
    before = audit.snapshot(duplicate, ["status", "merged_into"])
    duplicate.status = Address.Status.MERGED
    duplicate.merged_into = survivor
    duplicate.save(update_fields=["status", "merged_into", "updated_at"])
    counts.recount([duplicate.grid_id, survivor.grid_id])
    changes = audit.diff(before, audit.snapshot(duplicate, ["status", "merged_into"]))
    changes["moved_aliases"] = {"to": moved}
    audit.record(
        actor=user,
        action="addresses.merge",
        target=duplicate,
        place_code=duplicate.grid_code,
        changes=changes,
    )
    return survivor


@_register_write
def address_retire(*, user: User | None, address: Address) -> Address:
    """Mark an address as no longer existing (a building torn down); it stays on record, and orders
    that point to it keep doing so."""
    address = _locked(address)
    _check_grid(user, address.grid)
    _active(address)
    address.status = Address.Status.RETIRED
    address.save(update_fields=["status", "updated_at"])
    counts.recount([address.grid_id])
    audit.record(
        actor=user,
        action="addresses.retire",
        target=address,
        place_code=address.grid_code,
        changes={"status": {"from": Address.Status.ACTIVE, "to": Address.Status.RETIRED}},
    )
    return address


@_register_write
def alias_add(
    *, user: User | None, address: Address, text: str, kind: str = AddressAlias.Kind.ALIAS
) -> AddressAlias:
    """Add another spelling of an address (an alias or a former name).

    Refused: an empty text, one written as the address itself or as one of its aliases, and one that
    another address of the grid is written as (it would send orders to two places).
    """
    address = _locked(address)
    _check_grid(user, address.grid)
    _active(address)
    if kind not in (AddressAlias.Kind.ALIAS, AddressAlias.Kind.FORMER):
        raise invalid({"kind": _("Choose an alias or a former name.")})
    [text] = _alias_texts([text]) or [""]
    if not text:
        raise invalid({"text": _("Write the other spelling of the address.")})
    key = normalize.text_key(text)
    if not key:
        raise invalid({"text": _("This text has nothing an address could be found by.")})
    if key == address.key or address.aliases.filter(key=key).exists():
        raise invalid({"text": _("The address is already written this way.")}, code="alias_exists")
    other = same_in_grid(address.grid_code, key, exclude=address)
    if other is not None:
        raise Conflict(
            _("Another address of this grid is written this way: %(text)s.") % {"text": other.text},
            code="duplicate",
            extra={"address_id": other.pk, "text": other.text, "url": address_url(other)},
        )
    alias = _alias_create(address=address, text=text, kind=kind, user=user)
    assert alias is not None
    audit.record(
        actor=user,
        action="addresses.alias_add",
        target=address,
        place_code=address.grid_code,
        changes={"aliases": {"to": [alias.text]}},
    )
    return alias


@_register_write
def alias_remove(*, user: User | None, alias: AddressAlias) -> None:
    """Remove a spelling of an address (a mistaken alias); the address itself stays."""
    address = _locked(alias.address)
    _check_grid(user, address.grid)
    text = alias.text
    AddressAlias.objects.filter(pk=alias.pk).delete()
    audit.record(
        actor=user,
        action="addresses.alias_remove",
        target=address,
        place_code=address.grid_code,
        changes={"aliases": {"from": [text]}},
    )


def _survivor(address: Address) -> Address:
    """Follow `merged_into` to the address in use (merges keep the chain one step long)."""
    address = Address.objects.select_related("grid").get(pk=address.pk)
    seen = set()
    while address.merged_into_id is not None and address.pk not in seen:
        seen.add(address.pk)
        address = Address.objects.select_related("grid").get(pk=address.merged_into_id)
    return address


# At most this many earlier placements of one text are looked at (there is normally one).
PLACED_MOVE_MAX = 20


@_register_write
def placement_remember(
    *,
    text: str,
    user: User,
    address: Address | None = None,
    grid: Place | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> AddressAlias | None:
    """Keep an operator's placement of an order's address text so the next order written so routes
    by itself: picked `address` → an alias of it (kind "placed"); placed on the map (`grid` and the
    point) → a register address made from the text's parts, at that point, with the text as its
    alias. Returns the alias (None for an empty text). Idempotent for the same text and address.

    1. `user` must keep the grid (`access.can_keep`: the town operator of the unrouted queue does).
    2. A picked address that was merged is followed to the address in use.
    3. On the map: the point (WGS-84) must lie in `grid`; an active address of the grid written as the
       text's parts is reused, else one is added (source "placement").
    4. A "placed" alias already kept for the same text on another address, in this grid or in another
       grid `user` keeps, is moved to this one (and its grid with it): the operator's latest choice
       wins, a correction into another grid included, and the matcher never sees two answers. One kept
       in a grid `user` does not keep stays; the two answers then leave the next such order unrouted.
    """
    text = " ".join(str(text or "").split())[:TEXT_MAX]
    if not text:
        return None
    key = normalize.text_key(text)
    if not key:
        return None
    if address is not None:
        address = _survivor(address)
        access.check_keep(user, address.grid)
    else:
        if grid is None or lon is None or lat is None:
            raise invalid({"address": _("Pick an address from the register, or place the order on the map.")})
        _check_grid(user, grid)
        lon_value, lat_value = _point(grid, lon, lat, "wgs84")
        address = _placement_address(text=text, user=user, grid=grid, lon=lon_value, lat=lat_value)
    existing = address.aliases.filter(key=key).first()
    if existing is not None:
        return existing
    earlier = [
        alias
        for alias in AddressAlias.objects.select_for_update(of=("self",))
        .filter(key=key, kind=AddressAlias.Kind.PLACED)
        .exclude(address=address)
        .select_related("address__grid")
        .order_by("pk")[:PLACED_MOVE_MAX]
        if alias.address.grid_id == address.grid_id or access.can_keep(user, alias.address.grid)
    ]
    if earlier:
        alias, extra = earlier[0], earlier[1:]
        previous = [a.address_id for a in earlier]
        alias.address, alias.grid_code = address, address.grid_code
        alias.save(update_fields=["address", "grid_code"])
        AddressAlias.objects.filter(pk__in=[a.pk for a in extra]).delete()
        changes = {"aliases": {"to": [text]}, "moved_from": {"from": previous}}
    else:
        alias = AddressAlias.objects.create(
            address=address,
            grid_code=address.grid_code,
            text=text,
            key=key,
            kind=AddressAlias.Kind.PLACED,
            created_by=user if user.is_authenticated else None,
        )
        changes = {"aliases": {"to": [text]}}
    audit.record(
        actor=user,
        action="addresses.placement",
        target=address,
        place_code=address.grid_code,
        changes=changes,
    )
    return alias


def _placement_address(
    *, text: str, user: User, grid: Place, lon: float | None, lat: float | None
) -> Address:
    """Return the grid's address an order's text placed on the map stands for: found, or added."""
    parts = normalize.parse(text)
    values = {name: getattr(parts, name, "") for name in PARTS}
    has_parts = bool(values["road"] or values["compound"])
    fields = normalize.address_fields(**values) if has_parts else {}
    key = fields.get("key") or normalize.text_key(text)
    found = same_in_grid(grid.code, key)
    if found is not None:
        return found
    if has_parts:
        try:
            values = _parts(values)
        except ApplicationError:
            has_parts = False
    fields = _fields(values) if has_parts else {"text": text, "key": key}
    address = Address.objects.create(
        grid=grid,
        grid_code=grid.code,
        **(values if has_parts else {}),
        **fields,
        lon=lon,
        lat=lat,
        source=Address.Source.PLACEMENT,
        created_by=user if user.is_authenticated else None,
    )
    counts.recount([grid.pk])
    audit.record(
        actor=user,
        action="addresses.add",
        target=address,
        place_code=grid.code,
        changes=audit.as_created(audit.snapshot(address, AUDITED)),
    )
    return address
