"""Every write of pairings (包片联村, financial institutions with weak villages) and of the people sent
down to grids (deputies, party members, financial village cadres): pairings made and ended, the support
given under them, envoys appointed and their terms ended, and what the envoys did.

The permission rules are `access` (town operators and the administrators above manage; the paired
agency's staff record its own support; an envoy, their grid's staff and the managers record the envoy's
activity). Pairings and envoys are administrative writes with an audit entry each; support records and
activities are records in their own right (who wrote them is kept on the row).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Agency, User
from civicgrid.cases.models import Case
from civicgrid.core import audit
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, invalid
from civicgrid.governance import access
from civicgrid.governance.models import Envoy, EnvoyActivity, Matter, Pairing, SupportRecord
from civicgrid.places.models import Place

# The audit log's codes of this part (core knows none of them). Declared here, where they are written;
# `GovernanceConfig.ready` may declare them instead once the parts are merged.
AUDIT_ACTIONS = {
    "governance.pairing_create": gettext_lazy("Pairing with a village made"),
    "governance.pairing_end": gettext_lazy("Pairing with a village ended"),
    "governance.envoy_create": gettext_lazy("Person sent down to a grid"),
    "governance.envoy_end": gettext_lazy("Term of a person sent down ended"),
    "governance.figures_export": gettext_lazy("Co-governance figures exported"),
}


PAIRING_FIELDS = ["kind", "village", "agency", "partner_name", "starts_on", "ends_on", "note"]
ENVOY_FIELDS = [
    "kind",
    "name",
    "organisation",
    "role",
    "grid",
    "user",
    "pairing",
    "starts_on",
    "ends_on",
]
PHONE_RE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
# Support amounts stop below a trillion yuan (the column holds 12 digits before the point).
MAX_AMOUNT = Decimal("999999999999.99")
# Matters a partner can be said to have taken up: claimed, done, or verified.
TAKEN_UP = (Matter.State.CLAIMED, Matter.State.COMPLETED, Matter.State.VERIFIED)


def _text(value: str, limit: int, errors: dict[str, str], field: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("Enter at most %(limit)s characters.") % {"limit": limit}
    return value


def _above(place: Place, level: str) -> Place | None:
    """The place of `level` at or above `place` (None when there is none), walking up its parents."""
    node: Place | None = place
    while node is not None and node.level != level:
        node = node.parent
    return node


def is_current(starts_on: date, ends_on: date | None, on: date | None = None) -> bool:
    """Whether a term (a pairing's or an envoy's) runs on `on` (today by default)."""
    on = on or timezone.localdate()
    return starts_on <= on and (ends_on is None or ends_on >= on)


# --- Pairings ------------------------------------------------------------------------------------


@transaction.atomic
def pairing_create(
    *,
    actor,
    kind: str,
    village: Place,
    partner_name: str = "",
    agency: Agency | None = None,
    starts_on: date,
    ends_on: date | None = None,
    note: str = "",
) -> Pairing:
    """Pair an agency (包片联村) or a financial institution with a village.

    1. Refuse an actor who may not manage the village's pairings.
    2. Check the input: an agency pairing names its agency (its name is the partner's); a financial
       institution is named (and may have an agency account whose staff record its support); the term's
       end is not before its start; the same agency is not paired with the village twice at once.
    3. Write the pairing and its audit entry.
    """
    if not access.can_manage_pairings(actor, village):
        raise PermissionDenied(_("You may not record the pairings of this village."))
    errors: dict[str, str] = {}
    if kind not in Pairing.Kind.values:
        errors["kind"] = _("Choose what is paired with the village.")
    if village.level != Place.Level.VILLAGE:
        errors["village"] = _("Choose a village or community.")
    town = _above(village, Place.Level.TOWN)
    if town is None and "village" not in errors:
        errors["village"] = _("This village belongs to no town.")
    if agency is not None and not agency.is_active:
        errors["agency"] = _("This agency is no longer active.")
    if kind == Pairing.Kind.AGENCY and agency is None:
        errors["agency"] = _("Choose the agency paired with the village.")
    partner_name = _text(partner_name or (agency.name if agency else ""), 100, errors, "partner_name")
    if not partner_name and "agency" not in errors:
        errors["partner_name"] = _("Name the financial institution.")
    note = _text(note, 2000, errors, "note")
    if starts_on is None:
        errors["starts_on"] = _("Enter the day the pairing starts.")
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The pairing cannot end before it starts.")
    if agency is not None and not errors:
        overlapping = Pairing.objects.filter(
            agency=agency, village=village, starts_on__lte=ends_on or date.max
        )
        overlapping = overlapping.exclude(ends_on__lt=starts_on)
        if overlapping.exists():
            errors["agency"] = _("This agency is already paired with this village for that time.")
    if errors:
        raise invalid(errors)
    pairing = Pairing.objects.create(
        kind=kind,
        village=village,
        town=town,
        agency=agency,
        partner_name=partner_name,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
    )
    audit.record(
        actor=actor,
        action="governance.pairing_create",
        target=pairing,
        place_code=village.code,
        changes=audit.as_created(audit.snapshot(pairing, PAIRING_FIELDS)),
    )
    return pairing


@transaction.atomic
def pairing_end(*, actor, pairing: Pairing, ends_on: date, note: str = "") -> Pairing:
    """End a pairing on `ends_on` (today, a day past or one to come; it stays on record with its
    support). Compare-and-set on the end read: of two people ending it at once, the second is told."""
    fresh = Pairing.objects.select_related("village").filter(pk=pairing.pk).first()
    if fresh is None:
        raise NotFound(_("No such pairing."))
    if not access.can_manage_pairings(actor, fresh.village):
        raise PermissionDenied(_("You may not record the pairings of this village."))
    errors: dict[str, str] = {}
    if ends_on is None:
        errors["ends_on"] = _("Enter the day the pairing ends.")
    elif ends_on < fresh.starts_on:
        errors["ends_on"] = _("The pairing cannot end before it starts.")
    elif SupportRecord.objects.filter(pairing=fresh, on__gt=ends_on).exists():
        errors["ends_on"] = _("Support is recorded after that day: end it later.")
    note = _text(note, 2000, errors, "note")
    if errors:
        raise invalid(errors)
    if fresh.ends_on is not None and fresh.ends_on < timezone.localdate():
        raise Conflict(_("This pairing has already ended."), code="already_ended")
    new_note = f"{fresh.note}\n{note}".strip() if note else fresh.note
    rows = Pairing.objects.filter(pk=fresh.pk)
    rows = rows.filter(ends_on=fresh.ends_on) if fresh.ends_on else rows.filter(ends_on__isnull=True)
    if not rows.update(ends_on=ends_on, note=new_note):
        raise Conflict(_("Someone changed this pairing meanwhile: reload and try again."))
    audit.record(
        actor=actor,
        action="governance.pairing_end",
        target=fresh,
        place_code=fresh.village.code,
        changes=audit.diff({"ends_on": fresh.ends_on}, {"ends_on": ends_on}),
    )
    fresh.ends_on, fresh.note = ends_on, new_note
    return fresh


def _amount(value, errors: dict[str, str]) -> Decimal | None:
    if value in (None, ""):
        errors["amount"] = _("Enter the amount in yuan.")
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors["amount"] = _("Enter the amount in yuan.")
        return None
    if amount <= 0 or amount > MAX_AMOUNT:
        errors["amount"] = _("Enter an amount above zero and below a trillion yuan.")
        return None
    return amount


@transaction.atomic
def support_record(
    *,
    actor,
    pairing: Pairing,
    kind: str,
    on: date,
    amount=None,
    matter: Matter | None = None,
    note: str = "",
) -> SupportRecord:
    """Record support given under a pairing: a visit, funds or a loan (with the amount), a matter of
    the task board taken up (in the pairing's village or town-wide, claimed and not withdrawn), or
    other support.

    Refused: an actor who may not record this pairing's support; a day outside the pairing's term or
    to come; a matter of another place, not taken up, taken up by another agency, or recorded before.
    """
    if not access.can_record_support(actor, pairing):
        raise PermissionDenied(_("You may not record support for this pairing."))
    errors: dict[str, str] = {}
    if kind not in SupportRecord.Kind.values:
        errors["kind"] = _("Choose the kind of support.")
    today = timezone.localdate()
    if on is None:
        errors["on"] = _("Enter the day.")
    elif on > today:
        errors["on"] = _("Support is recorded once given: the day cannot be in the future.")
    elif not is_current(pairing.starts_on, pairing.ends_on, on):
        errors["on"] = _("The pairing did not run on that day.")
    # Funds and loans carry their amount; other support may (goods given, in yuan); visits and matters none.
    money = kind in (SupportRecord.Kind.FUNDS, SupportRecord.Kind.LOAN)
    valued = money or (kind == SupportRecord.Kind.OTHER and amount not in (None, ""))
    value = _amount(amount, errors) if valued else None
    if kind == SupportRecord.Kind.MATTER:
        if matter is None:
            errors["matter"] = _("Choose the matter taken up.")
        elif (
            matter.town_id != pairing.town_id
            or (matter.village_id is not None and matter.village_id != pairing.village_id)
            or matter.state not in TAKEN_UP
        ):
            errors["matter"] = _("Choose a matter of this village (or town-wide) that has been claimed.")
        elif (
            pairing.agency_id is not None
            and matter.claimant_agency_id is not None
            and matter.claimant_agency_id != pairing.agency_id
        ):
            errors["matter"] = _("Another agency took this matter up.")
        elif SupportRecord.objects.filter(pairing=pairing, matter=matter).exists():
            errors["matter"] = _("This matter is already recorded for this pairing.")
    else:
        matter = None
    note = _text(note, 2000, errors, "note")
    if errors:
        raise invalid(errors)
    return SupportRecord.objects.create(
        pairing=pairing,
        kind=kind,
        on=on,
        amount=value,
        matter=matter,
        note=note,
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
    )


# --- People sent down ----------------------------------------------------------------------------


def _phone(phone: str, errors: dict[str, str]) -> str:
    phone = (phone or "").strip().replace(" ", "")
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = _("Enter a mobile number (11 digits) or a landline with its area code.")
    return phone


@transaction.atomic
def envoy_create(
    *,
    actor,
    grid: Place,
    kind: str,
    name: str,
    starts_on: date,
    ends_on: date | None = None,
    organisation: str = "",
    role: str = "",
    phone: str = "",
    user: User | None = None,
    pairing: Pairing | None = None,
) -> Envoy:
    """Send a person down to a grid (a people's deputy, a party member, a financial village cadre) for
    a term, with their role there; optionally their account (they then record their own activity and
    their cases show) and the pairing they come under (a financial cadre's institution)."""
    if not access.can_manage_pairings(actor, grid):
        raise PermissionDenied(_("You may not record the people sent down to this grid."))
    errors: dict[str, str] = {}
    if kind not in Envoy.Kind.values:
        errors["kind"] = _("Choose who is sent down.")
    if grid.level != Place.Level.GRID:
        errors["grid"] = _("Choose a grid.")
    village = _above(grid, Place.Level.VILLAGE)
    town = _above(grid, Place.Level.TOWN)
    if (village is None or town is None) and "grid" not in errors:
        errors["grid"] = _("This grid belongs to no village.")
    name = _text(name, 60, errors, "name", required=True)
    organisation = _text(organisation, 100, errors, "organisation")
    role = _text(role, 60, errors, "role")
    phone = _phone(phone, errors)
    if starts_on is None:
        errors["starts_on"] = _("Enter the day the term starts.")
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The term cannot end before it starts.")
    if pairing is not None and village is not None and pairing.village_id != village.pk:
        errors["pairing"] = _("Choose a pairing of this grid's village.")
    if user is not None and not user.is_active:
        errors["user"] = _("This account is not active.")
    elif user is not None and not errors:
        again = Envoy.objects.filter(user=user, grid=grid, starts_on__lte=ends_on or date.max)
        if again.exclude(ends_on__lt=starts_on).exists():
            errors["user"] = _("This person is already sent down to this grid for that time.")
    if errors:
        raise invalid(errors)
    envoy = Envoy.objects.create(
        kind=kind,
        user=user,
        name=name,
        organisation=organisation,
        role=role,
        phone=phone,
        grid=grid,
        village=village,
        town=town,
        pairing=pairing,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    audit.record(
        actor=actor,
        action="governance.envoy_create",
        target=envoy,
        place_code=grid.code,
        changes=audit.as_created(audit.snapshot(envoy, ENVOY_FIELDS)),
    )
    return envoy


@transaction.atomic
def envoy_end(*, actor, envoy: Envoy, ends_on: date) -> Envoy:
    """End a person's term in the grid on `ends_on` (today, a day past or one to come; their record
    stays). Compare-and-set on the end read."""
    fresh = Envoy.objects.select_related("grid").filter(pk=envoy.pk).first()
    if fresh is None:
        raise NotFound(_("No such person sent down."))
    if not access.can_manage_pairings(actor, fresh.grid):
        raise PermissionDenied(_("You may not record the people sent down to this grid."))
    today = timezone.localdate()
    if ends_on is None:
        raise invalid({"ends_on": _("Enter the day the term ends.")})
    if ends_on < fresh.starts_on:
        raise invalid({"ends_on": _("The term cannot end before it starts.")})
    if fresh.ends_on is not None and fresh.ends_on < today:
        raise Conflict(_("This term has already ended."), code="already_ended")
    if EnvoyActivity.objects.filter(envoy=fresh, on__gt=ends_on).exists():
        raise invalid({"ends_on": _("Activity is recorded after that day: end the term later.")})
    rows = Envoy.objects.filter(pk=fresh.pk)
    rows = rows.filter(ends_on=fresh.ends_on) if fresh.ends_on else rows.filter(ends_on__isnull=True)
    if not rows.update(ends_on=ends_on):
        raise Conflict(_("Someone changed this term meanwhile: reload and try again."))
    audit.record(
        actor=actor,
        action="governance.envoy_end",
        target=fresh,
        place_code=fresh.grid.code,
        changes=audit.diff({"ends_on": fresh.ends_on}, {"ends_on": ends_on}),
    )
    fresh.ends_on = ends_on
    return fresh


@transaction.atomic
def envoy_activity_record(
    *, actor, envoy: Envoy, kind: str, on: date, note: str = "", case: Case | None = None
) -> EnvoyActivity:
    """Record what a person sent down did in their grid (a household visit, a meeting, a case of the
    grid they took part in): by themselves, the grid's staff or the managers, on a day of their term."""
    if not access.can_record_envoy_activity(actor, envoy):
        raise PermissionDenied(_("You may not record this person's activity."))
    errors: dict[str, str] = {}
    if kind not in EnvoyActivity.Kind.values:
        errors["kind"] = _("Choose what they did.")
    if on is None:
        errors["on"] = _("Enter the day.")
    elif on > timezone.localdate():
        errors["on"] = _("Activity is recorded once done: the day cannot be in the future.")
    elif not is_current(envoy.starts_on, envoy.ends_on, on):
        errors["on"] = _("That day is outside their term in the grid.")
    if case is not None and case.grid_id != envoy.grid_id:
        errors["case"] = _("Choose a case of this grid.")
    if kind == EnvoyActivity.Kind.CASE and case is None and "case" not in errors:
        errors["case"] = _("Enter the tracking number of the case.")
    note = _text(
        note, 2000, errors, "note", required=kind in (EnvoyActivity.Kind.VISIT, EnvoyActivity.Kind.OTHER)
    )
    if errors:
        raise invalid(errors)
    return EnvoyActivity.objects.create(
        envoy=envoy,
        kind=kind,
        on=on,
        note=note,
        case=case,
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
    )
