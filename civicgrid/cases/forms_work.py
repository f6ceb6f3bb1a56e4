"""Forms of the staff work lists: the list filters and the batch dispatch panel."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Agency
from civicgrid.cases import selectors, services
from civicgrid.cases.models import TERMINAL_STATES, Case, Category
from civicgrid.cases.selectors import CaseFilters, Queue
from civicgrid.cases.services import AppointmentIn
from civicgrid.cases.workflow import OPEN_STATES
from civicgrid.core.widgets import QuickSelect
from civicgrid.places.models import Place

CATEGORY_RE = re.compile(r"^[A-Z][0-9]{2}([0-9]{2})?$")
REGION_RE = re.compile(r"^[0-9]{6,15}$")
TRACKING_RE = re.compile(r"^[0-9]{8}-[0-9]{4,6}$")
# Shown instead of a state: every state, finished ones included.
ALL_STATES = "all"
BATCH_LIMIT = 100


@dataclass(frozen=True)
class ListOptions:
    """What a work list shows besides the case filters."""

    open_only: bool = True
    overdue_only: bool = False


class CaseFilterForm(forms.Form):
    """The filters of the command centre and the map, read from GET parameters.

    Area and category are free codes shown as lists: a code outside the user's scope simply
    matches nothing, because the list itself is scoped.
    """

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Tracking number, 12345 order, address or words"),
                "autocomplete": "off",
                "enterkeyhint": "search",
            }
        ),
    )
    queue = forms.ChoiceField(label=_("Queue"), required=False, widget=QuickSelect)
    state = forms.ChoiceField(label=_("Step"), required=False, widget=QuickSelect)
    category = forms.CharField(label=_("Category"), required=False, max_length=10, widget=QuickSelect)
    region = forms.CharField(
        label=pgettext_lazy("where a case is", "Area"), required=False, max_length=15, widget=QuickSelect
    )
    source = forms.ChoiceField(
        label=_("Source"),
        required=False,
        choices=[("", _("Any source")), *Case.Source.choices],
        widget=QuickSelect,
    )
    date_from = forms.DateField(
        label=_("Reported from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Reported to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    due_soon = forms.BooleanField(required=False)
    closed_from = forms.DateField(
        label=_("Closed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    closed_to = forms.DateField(
        label=_("Closed to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        data=None,
        *,
        queues: list[tuple[Queue, int]] | None,
        categories: list[tuple[Category, list[Category]]],
        regions: list[Place],
        **kwargs,
    ) -> None:
        super().__init__(data, **kwargs)
        self.fields["due_soon"].label = _("Due within %(hours)s hours") % {
            "hours": settings.CASE_DUE_SOON_HOURS
        }
        if queues is None:
            del self.fields["queue"]
        else:
            self.fields["queue"].choices = [
                ("", _("All open cases")),
                *[(q.key, f"{q.label} ({count})") for q, count in queues],
            ]
        open_states = [(s, Case.State(s).label) for s in OPEN_STATES]
        finished = [(s, Case.State(s).label) for s in Case.State.values if s in TERMINAL_STATES]
        self.fields["state"].choices = [
            ("", _("Any open step")),
            (_("Open"), open_states),
            (_("Finished"), finished),
            (ALL_STATES, _("Every step, finished ones too")),
        ]
        category_groups: list = [("", _("Any category"))]
        for major, minors in categories:
            category_groups.append(
                (
                    major.display_name,
                    [(major.code, _("All of %(name)s") % {"name": major.display_name})]
                    + [(c.code, c.display_name) for c in minors],
                )
            )
        self.fields["category"].widget.choices = category_groups
        depth = {p.pk: p.depth for p in regions}
        top = min(depth.values(), default=0)
        self.fields["region"].widget.choices = [("", _("Whole area"))] + [
            (p.code, ("— " * (p.depth - top)) + p.display_name) for p in regions
        ]

    def clean_category(self) -> str:
        value = (self.cleaned_data.get("category") or "").strip().upper()
        if value and not CATEGORY_RE.match(value):
            raise forms.ValidationError(_("Choose a category from the list."))
        return value

    def clean_region(self) -> str:
        value = (self.cleaned_data.get("region") or "").strip()
        if value and not REGION_RE.match(value):
            raise forms.ValidationError(_("Choose an area from the list."))
        return value

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        start, end = data.get("closed_from"), data.get("closed_to")
        if start and end and end < start:
            self.add_error("closed_to", _("The end date is before the start date."))
        return data

    def chosen_count(self) -> int:
        """Return how many filters are set (the map's folded filters say so on their button)."""
        if not self.is_bound:
            return 0
        return sum(1 for name in self.fields if self.data.get(name) not in (None, ""))

    def filters(self) -> tuple[CaseFilters, ListOptions]:
        """Return the filters to apply; an invalid form matches nothing rather than everything."""
        if not self.is_valid():
            return CaseFilters(queue="-invalid-"), ListOptions()
        d = self.cleaned_data
        state = d.get("state") or ""
        closed = bool(d.get("closed_from") or d.get("closed_to"))
        if closed:
            state = Case.State.CLOSED  # closed on those days: no other step
        return (
            CaseFilters(
                queue=d.get("queue") or "",
                state="" if state == ALL_STATES else state,
                category=d["category"],
                region=d["region"],
                source=d.get("source") or "",
                date_from=d.get("date_from"),
                date_to=d.get("date_to"),
                text=(d.get("q") or "").strip(),
                due_soon=bool(d.get("due_soon")),
                closed_from=d.get("closed_from"),
                closed_to=d.get("closed_to"),
            ),
            ListOptions(open_only=state == "", overdue_only=bool(d.get("overdue"))),
        )


class SearchForm(forms.Form):
    """The one search box of the phone lists (queue, agency inbox)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Tracking number or address"),
                "autocomplete": "off",
                "enterkeyhint": "search",
            }
        ),
    )

    def text(self) -> str:
        return (self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Agency) -> str:
        return agency_label(obj)


class AgencyMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Agency) -> str:
        return agency_label(obj)


def agency_label(agency: Agency) -> str:
    if agency.name_en and (get_language() or "").startswith("en"):
        return agency.name_en
    return agency.name


@dataclass(frozen=True)
class Selected:
    number: str
    # The version the dispatcher saw; the dispatch is refused if the case changed since.
    version: int | None


class BatchDispatchForm(forms.Form):
    """The dispatch panel of the command centre: several cases to one lead agency, with co-handlers.

    Each checkbox posts "tracking number:version" in `case`.
    """

    agency = AgencyChoiceField(
        label=_("Lead agency"), queryset=Agency.objects.none(), empty_label=_("Choose…")
    )
    co_agencies = AgencyMultipleChoiceField(
        label=_("Co-handling agencies"),
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    appointment_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("The agencies meet the grid on site to agree on the work (海棠有约)."),
    )
    appointment_place = forms.CharField(label=_("Place"), required=False, max_length=200)
    participants = forms.CharField(
        label=_("Participants"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(
        label=_("Note to the agencies"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def __init__(self, data=None, *, user, **kwargs) -> None:
        super().__init__(data, **kwargs)
        agencies = selectors.dispatch_agencies_for_user(user=user)
        self.fields["agency"].queryset = agencies
        self.fields["co_agencies"].queryset = agencies

    def clean(self) -> dict:
        data = super().clean()
        raw = self.data.getlist("case") if hasattr(self.data, "getlist") else []
        selected: dict[str, Selected] = {}
        for item in raw:
            number, _sep, version = str(item).strip().partition(":")
            if not TRACKING_RE.match(number) or (version and not version.isdigit()):
                continue
            selected.setdefault(number, Selected(number, int(version) if version else None))
        if not selected:
            raise forms.ValidationError(_("Tick at least one case to dispatch."))
        if len(selected) > BATCH_LIMIT:
            raise forms.ValidationError(
                _("Dispatch at most %(n)d cases at once.") % {"n": BATCH_LIMIT}, code="too_many"
            )
        data["cases"] = list(selected.values())
        # The rules of the dispatch's own inputs, as `case_act` applies them to each case.
        if data.get("agency") is not None:
            errors = services.dispatch_input_errors(
                agency=data["agency"],
                co_agencies=list(data.get("co_agencies") or []),
                appointment=self.appointment(),
            )
            for name, message in errors.items():
                self.add_error(self.SERVICE_FIELDS.get(name, name), message)
        return data

    SERVICE_FIELDS = {"appointment": "appointment_at"}

    def appointment(self) -> AppointmentIn | None:
        d = self.cleaned_data
        if not any(d.get(name) for name in ("appointment_at", "appointment_place", "participants")):
            return None
        return AppointmentIn(
            starts_at=d.get("appointment_at"),
            place=d.get("appointment_place") or "",
            participants=d.get("participants") or "",
        )


class MapViewportForm(forms.Form):
    """The part of the map a browser shows: `bbox=west,south,east,north` (WGS-84) and its zoom.

    A box reaching past ±180° or ±90° (a map zoomed far out) is cut to the world. Without a zoom,
    the box is taken as VIEWPORT_PX pixels wide.
    """

    VIEWPORT_PX = 1024

    bbox = forms.CharField(max_length=120)
    zoom = forms.FloatField(min_value=0, max_value=22, required=False)

    def clean(self) -> dict:
        data = super().clean()
        box = data.get("bbox")
        if data.get("zoom") is None and box:
            width = max(box[2] - box[0], 1e-9)
            data["zoom"] = min(22.0, max(0.0, math.log2(self.VIEWPORT_PX * 360 / (256 * width))))
        return data

    def clean_bbox(self) -> tuple[float, float, float, float]:
        parts = (self.cleaned_data.get("bbox") or "").split(",")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise forms.ValidationError(_("Give the box as west,south,east,north in degrees."))
        if not all(math.isfinite(v) for v in (west, south, east, north)) or west >= east or south >= north:
            raise forms.ValidationError(_("Give the box as west,south,east,north in degrees."))
        return (max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0))
