"""Forms of the case pages: the snap-and-report form and one form per workflow action.

The forms only collect and shape input; `services.case_create` and `services.case_act` decide what
is valid. Their field errors (`ApplicationError.extra["fields"]`) are put back next to the fields
with `add_service_error`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.cases import access, categories, selectors
from civicgrid.cases.answers import FIELD_PREFIX as ANSWER_PREFIX
from civicgrid.cases.answers import answers_check
from civicgrid.cases.models import Case, Satisfaction
from civicgrid.cases.services import AppointmentIn
from civicgrid.cases.workflow import Transition
from civicgrid.core.errors import ApplicationError
from civicgrid.lib.geo import CRS_LABELS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files under one name (the camera control posts a camera and a gallery input).

    `max_count` is the most the service takes (CASE_PHOTO_MAX_COUNT unless given): the camera control
    (includes/photo_picker.html) warns above it before sending; the service refuses it.
    """

    def __init__(self, *args: Any, max_count: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)
        self.max_count = settings.CASE_PHOTO_MAX_COUNT if max_count is None else max_count

    def clean(self, data: Any, initial: Any = None) -> list:
        single = super().clean
        items = [d for d in data if d] if isinstance(data, list | tuple) else ([data] if data else [])
        if not items:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        return [single(item, initial) for item in items]


class ServiceErrorsMixin:
    """Put a service's refusal next to the fields it names, or above the form."""

    # Service field name -> form field name, where they differ.
    service_fields: dict[str, str] = {}

    def add_service_error(self, exc: ApplicationError) -> None:
        fields = dict(exc.extra.get("fields") or {})
        single = exc.extra.get("field")
        if single and not fields:
            fields[single] = exc.message
        placed = False
        for name, message in fields.items():
            target = self.service_fields.get(name, name)
            if target in self.fields:  # type: ignore[attr-defined]
                self.add_error(target, str(message))  # type: ignore[attr-defined]
                placed = True
            else:
                self.add_error(None, str(message))  # type: ignore[attr-defined]
                placed = True
        if not placed:
            self.add_error(None, exc.message)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# Snap-and-report


class ReportForm(ServiceErrorsMixin, forms.Form):
    """A resident's or mobile grid member's report; the category is a code from `categories_for_point`.

    `lon`/`lat` are in `crs`: the system of the map the point was picked on (`places.display.crs`,
    GCJ-02 on AMap or Tencent tiles). The form passes it on; intake converts the point to WGS-84.
    """

    service_fields = {"lon": "lon", "lat": "lon", "priority": "category", "crs": "lon"}

    photos = MultipleFileField(label=_("Photos"), required=False)
    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    # Absent (a client that never sent it): WGS-84, as in the API.
    crs = forms.ChoiceField(
        label=_("Coordinate system"),
        choices=list(CRS_LABELS.items()),
        required=False,
        widget=forms.HiddenInput,
    )
    address = forms.CharField(
        label=_("Address or landmark"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the east gate of No. 3 Middle School")}),
    )
    category = forms.CharField(label=_("What is it?"), required=False, max_length=10)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("What is wrong, and since when?")}),
    )
    reporter_phone = forms.CharField(
        label=_("Your phone"),
        required=False,
        max_length=20,
        help_text=_(
            "Private: only the staff handling your report see it, to call you back. "
            "It never appears on the public status page."
        ),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    is_public = forms.BooleanField(
        label=_("Show this report, its photos and its progress on the public status page"),
        required=False,
        initial=True,
        help_text=_(
            "Never with your name or phone. Untick it to keep the report between you and the staff; "
            "an anonymous private report cannot be followed online."
        ),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The refusals of the answers by question code; the page's script shows each by its question.
        self.answer_errors: dict[str, str] = {}

    def answers(self) -> dict[str, Any]:
        """Return the answers posted as `answers.CODE` fields (repeated for several choices), as
        typed: `services.case_create` checks them against the category's questions."""
        if not self.is_bound:
            return {}
        found: dict[str, Any] = {}
        for key in self.data:
            if key.startswith(ANSWER_PREFIX):
                values = [v for v in self.data.getlist(key) if v != ""]
                if values:
                    found[key.removeprefix(ANSWER_PREFIX)] = values[0] if len(values) == 1 else values
        return found

    def add_service_error(self, exc: ApplicationError) -> None:
        fields = dict(exc.extra.get("fields") or {})
        others = {}
        for name, message in fields.items():
            if name.startswith(ANSWER_PREFIX):
                self.answer_errors[name.removeprefix(ANSWER_PREFIX)] = str(message)
            else:
                others[name] = message
        if self.answer_errors and not others:
            return
        if self.answer_errors:
            exc = ApplicationError(exc.message, code=exc.code, extra={**exc.extra, "fields": others})
        super().add_service_error(exc)

    @staticmethod
    def new_key() -> str:
        """Return the key of one rendering of the form: a resubmission of it returns the same case."""
        return uuid.uuid4().hex

    def crs_label(self) -> str:
        """Return the name of the system the coordinates are in, shown beside them."""
        value = self["crs"].value() or "wgs84"
        return str(CRS_LABELS.get(value, CRS_LABELS["wgs84"]))

    def clean_crs(self) -> str:
        return self.cleaned_data.get("crs") or "wgs84"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        located = data.get("lon") is not None and data.get("lat") is not None
        if not located and "lon" not in self.errors and "lat" not in self.errors:
            self.add_error(
                "lon", gettext("Set the location: use your position, or move the map and use its centre.")
            )
            # Without a location the service is not asked, so name its other refusals here, in its
            # words, rather than one at a time on the next try.
            chosen = categories.eligible(data.get("category") or None)
            if not (data.get("description") or "").strip() and (
                chosen is None or chosen.description_required
            ):
                self.add_error("description", gettext("Describe the problem."))
            if not data.get("category"):
                self.add_error("category", gettext("Choose a category from the list."))
            else:
                _answers, errors = answers_check(data["category"], self.answers())
                self.answer_errors.update({k.removeprefix(ANSWER_PREFIX): v for k, v in errors.items()})
        return data


# ---------------------------------------------------------------------------------------------
# Workflow actions


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


NOTE_LABELS = {
    "reject": _("Reason for rejecting"),
    "return_dispatch": _("Why it is not yours"),
    "refuse_request": _("Reason for refusing"),
    "rework": _("What must be redone"),
    "resolve": _("What was done"),
    "request_extension": _("Why more time is needed"),
    "request_suspension": _("Why it cannot be solved now"),
    "escalate_to_village": _("Why the village is needed"),
    "escalate_to_town": _("Why the town is needed"),
    "rate": _("Comment"),
    "comment": _("Comment"),
}
PHOTO_LABELS = {
    "resolve": _("Photos of the result"),
    "pass_check": _("Photos taken on site"),
    "rework": _("Photos taken on site"),
}


class ActionForm(ServiceErrorsMixin, forms.Form):
    """The fields one transition requires or accepts, prefixed with the action's name.

    `version` carries the case version the form was rendered for, so a stale form is recognised.
    """

    service_fields = {"rating": "satisfaction", "appointment": "appointment_at"}

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    # One rendering's key: the phone's outbox may send a step queued offline more than once.
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)

    def __init__(self, *args: Any, transition: Transition, case: Case, user, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", transition.action)
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", case.version)
        kwargs["initial"].setdefault("key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.transition = transition
        self.case = case
        self.user = user
        t = transition
        names = t.requires | t.accepts
        self.opens_panel = bool(names)
        if "note" in names:
            self.fields["note"] = forms.CharField(
                label=NOTE_LABELS.get(t.action, _("Note")),
                required="note" in t.requires,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        if "photos" in names:
            self.fields["photos"] = MultipleFileField(
                label=PHOTO_LABELS.get(t.action, _("Photos")), required="photos" in t.requires
            )
        if "agency" in names:
            self.fields["agency"] = forms.ModelChoiceField(
                label=_("Lead agency"),
                queryset=selectors.dispatch_agencies(case=case),
                required=True,
                empty_label=_("Choose the lead agency"),
                initial=case.category.default_agency_id if case.category_id else None,
            )
        if "co_agencies" in names:
            self.fields["co_agencies"] = forms.ModelMultipleChoiceField(
                label=_("Co-handling agencies"),
                queryset=selectors.dispatch_agencies(case=case),
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        if "appointment" in names:
            self.fields["appointment_at"] = forms.DateTimeField(
                label=_("Date and time"),
                required=False,
                widget=DateTimeLocalInput(),
                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
            )
            self.fields["appointment_place"] = forms.CharField(
                label=_("Meeting place"), required=False, max_length=200
            )
            self.fields["appointment_participants"] = forms.CharField(
                label=_("Participants"),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Who meets on site: agencies, grid worker, residents concerned."),
            )
        if "until" in names:
            self.fields["until"] = forms.DateField(
                label=_("Extend until"), required="until" in t.requires, widget=DateInput()
            )
        if "merge_into" in names:
            self.fields["merge_into"] = forms.CharField(
                label=_("Tracking number of the case it duplicates"),
                required="merge_into" in t.requires,
                max_length=20,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "20260101-0001"}),
            )
        if "grid" in names:
            self.fields["grid"] = forms.ModelChoiceField(
                label=_("Grid"),
                queryset=selectors.assignable_grids(case=case, user=user),
                required="grid" in t.requires,
                empty_label=_("Choose a grid"),
            )
        if "rating" in names:
            self.fields["solved"] = forms.TypedChoiceField(
                label=_("Was the problem solved?"),
                choices=[("yes", _("Yes")), ("no", _("No"))],
                coerce=lambda v: v == "yes",
                widget=forms.RadioSelect,
                required=True,
            )
            self.fields["satisfaction"] = forms.ChoiceField(
                label=_("How satisfied are you?"),
                choices=Satisfaction.choices,
                widget=forms.RadioSelect,
                required=True,
            )
        # The note comes after what the action is about (agency, rating, date...).
        if "note" in self.fields:
            self.fields["note"] = self.fields.pop("note")
        # Only the staff of the case answer its reporter; the service refuses anyone else.
        if "reply" in names and access.is_staff_of(user, case):
            self.fields["reply"] = forms.BooleanField(
                label=_("Reply to the reporter"),
                required=False,
                help_text=_("The reporter reads this note, and so does the public status page."),
            )

    def service_kwargs(self) -> dict[str, Any]:
        """Return the keyword arguments of `services.case_act` for the cleaned data."""
        d = self.cleaned_data
        kwargs: dict[str, Any] = {"idempotency_key": d.get("key") or ""}
        if "note" in self.fields:
            kwargs["note"] = d.get("note") or ""
        if "photos" in self.fields:
            kwargs["photos"] = d.get("photos") or []
        if "agency" in self.fields:
            kwargs["agency"] = d.get("agency")
        if "co_agencies" in self.fields:
            kwargs["co_agencies"] = list(d.get("co_agencies") or [])
        if "appointment_at" in self.fields and any(
            d.get(name) for name in ("appointment_at", "appointment_place", "appointment_participants")
        ):
            kwargs["appointment"] = AppointmentIn(
                starts_at=d.get("appointment_at"),
                place=d.get("appointment_place") or "",
                participants=d.get("appointment_participants") or "",
            )
        if "until" in self.fields and d.get("until") is not None:
            # A date: the service says when on that day an extension runs out.
            kwargs["until"] = d["until"]
        if "merge_into" in self.fields:
            kwargs["merge_into"] = (d.get("merge_into") or "").strip() or None
        if "grid" in self.fields:
            kwargs["grid"] = d.get("grid")
        if "reply" in self.fields:
            kwargs["reply"] = bool(d.get("reply"))
        if "satisfaction" in self.fields:
            kwargs["solved"] = d.get("solved")
            kwargs["satisfaction"] = d.get("satisfaction") or ""
        return kwargs


# ---------------------------------------------------------------------------------------------
# How a person is told (the notifications page)


class NoticePreferenceForm(ServiceErrorsMixin, forms.Form):
    """Each notice as it comes, or a daily digest at an hour; `services.notice_preference_set` stores it."""

    EACH = "each"
    DAILY = "daily"

    how = forms.ChoiceField(
        label=_("How to tell you"),
        choices=[
            (EACH, _("Each notice as it comes")),
            (DAILY, _("A daily digest of what is only for your information (to-dos still come at once)")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how you want to be told: each notice as it comes, or a daily digest."),
            "invalid_choice": _(
                "Choose how you want to be told: each notice as it comes, or a daily digest."
            ),
        },
    )
    digest_hour = forms.TypedChoiceField(
        label=_("Send the daily digest at"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        error_messages={
            "required": _("Choose an hour of the day, from 00:00 to 23:00."),
            "invalid_choice": _("Choose an hour of the day, from 00:00 to 23:00."),
        },
    )

    @classmethod
    def initial_for(cls, preference) -> dict[str, Any]:
        """Return the form's initial values for a stored (or default) `NoticePreference`."""
        return {"how": cls.DAILY if preference.digest else cls.EACH, "digest_hour": preference.digest_hour}

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"digest": d["how"] == self.DAILY, "digest_hour": d["digest_hour"]}
