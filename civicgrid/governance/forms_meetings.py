"""Forms of the meeting pages: they parse input; `services_meetings` decides."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.forms import ServiceErrorsMixin
from civicgrid.governance.models import Attendance, Decision, MeetingSeries

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
NTH_CHOICES = [
    (1, _("the first")),
    (2, _("the second")),
    (3, _("the third")),
    (4, _("the fourth")),
    (-1, _("the last")),
]
WEEKDAY_CHOICES = [(n, WEEKDAYS[n]) for n in range(7)]
_DAY_SEPARATORS = re.compile(r"[\s,，、;；]+")


class SeriesForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name of the meeting"), max_length=80, initial="逢五说事")
    rule = forms.ChoiceField(
        label=_("How it repeats"),
        choices=MeetingSeries.Rule.choices,
        widget=forms.RadioSelect,
        initial="days",
    )
    days = forms.CharField(
        label=_("Days of the month"),
        required=False,
        initial="5, 15, 25",
        help_text=_("Separated by commas; a day past a month's end means its last day."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    nth = forms.TypedChoiceField(
        label=_("Which one in the month"),
        choices=NTH_CHOICES,
        coerce=int,
        initial=1,
        required=False,
        empty_value=None,
    )
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        initial=0,
        required=False,
        empty_value=None,
    )
    on_holiday = forms.ChoiceField(
        label=_("When the day is a day off"),
        choices=MeetingSeries.Shift.choices,
        initial="next",
        help_text=_(
            "Weekends and the holiday calendar count, make-up working days (调休) do not. A moved meeting stays "
            "in its month and between the series' other dates; when no working day fits, it keeps its date."
        ),
    )
    time = forms.TimeField(label=_("Starts at"), widget=TIME, initial="09:00")
    venue = forms.CharField(label=_("Venue"), max_length=120, required=False)
    is_active = forms.BooleanField(label=_("Plan its meetings"), required=False, initial=True)

    def clean_days(self) -> list[Any]:
        text = (self.cleaned_data.get("days") or "").strip()
        return [part for part in _DAY_SEPARATORS.split(text) if part]

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["rule"] == MeetingSeries.Rule.DAYS:
            return {"days": data["days"]}
        if data["rule"] == MeetingSeries.Rule.WEEKDAY:
            return {"nth": data["nth"], "weekday": data["weekday"]}
        return {"weekday": data["weekday"]}

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "rule": data["rule"],
            "params": self.params(),
            "on_holiday": data["on_holiday"],
            "time": data["time"],
            "venue": data["venue"],
            "is_active": data["is_active"],
        }

    @classmethod
    def initial_of(cls, series: MeetingSeries) -> dict[str, Any]:
        params = series.params or {}
        return {
            "name": series.name,
            "rule": series.rule,
            "days": ", ".join(str(d) for d in params.get("days", [])),
            "nth": params.get("nth", 1),
            "weekday": params.get("weekday", 0),
            "on_holiday": series.on_holiday,
            "time": series.time,
            "venue": series.venue,
            "is_active": series.is_active,
        }


class MeetingForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Title of the meeting"), max_length=120)
    day = forms.DateField(label=_("Day of the meeting"), widget=DATE)
    time = forms.TimeField(label=_("Starts at"), widget=TIME, initial="09:00")
    venue = forms.CharField(label=_("Venue"), max_length=120, required=False)
    service_fields = {"starts_at": "day"}

    def starts_at(self) -> datetime:
        data = self.cleaned_data
        return timezone.make_aware(
            datetime.combine(data["day"], data["time"]), timezone.get_default_timezone()
        )


class AgendaCaseForm(ServiceErrorsMixin, forms.Form):
    case = forms.TypedChoiceField(label=_("Case waiting at the village"), coerce=int)
    note = forms.CharField(label=_("Internal note"), required=False, max_length=2000)

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [
            (c.pk, f"{c.tracking_number} · {c.category.name} · {c.address or c.description[:30]}")
            for c in cases
        ]


class AgendaTopicForm(ServiceErrorsMixin, forms.Form):
    topic = forms.TypedChoiceField(label=_("Forum topic"), coerce=int)
    note = forms.CharField(label=_("Internal note"), required=False, max_length=2000)

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [
            (t.pk, gettext("%(title)s · supported by %(n)s") % {"title": t.title, "n": t.support_count})
            for t in topics
        ]


class AgendaItemForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Agenda item"), max_length=120)
    note = forms.CharField(label=_("Internal note"), required=False, max_length=2000)


class OutcomeForm(ServiceErrorsMixin, forms.Form):
    outcome = forms.CharField(
        label=_("What the meeting said"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AttendanceForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Attends as"), choices=Attendance.Kind.choices)
    user = forms.TypedChoiceField(label=_("Person on record"), coerce=int, required=False, empty_value=None)
    agency = forms.TypedChoiceField(label=_("Agency"), coerce=int, required=False, empty_value=None)
    name = forms.CharField(label=_("Or type a name"), max_length=60, required=False)
    organisation = forms.CharField(label=_("Organisation or unit"), max_length=100, required=False)
    present = forms.BooleanField(label=_("Was present"), required=False, initial=True)

    def __init__(self, *args, users=(), agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "—"), *users]
        self.fields["agency"].choices = [("", "—"), *((a.pk, a.name) for a in agencies)]


class RecordForm(ServiceErrorsMixin, forms.Form):
    minutes = forms.CharField(
        label=_("Minutes of the meeting"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What was discussed and agreed; residents do not see the minutes."),
    )
    held_at = forms.DateTimeField(label=_("Held at"), widget=DATETIME, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CancelForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("Why it is cancelled"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


EFFECT_NONE, EFFECT_OPEN, EFFECT_MOVE = "none", "open", "move"


class DecisionForm(ServiceErrorsMixin, forms.Form):
    """A decision; what it does to a case (`effect`) picks which of the lower fields count."""

    text = forms.CharField(
        label=_("What was decided"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    owner_user = forms.TypedChoiceField(
        label=_("Carried out by (person)"), coerce=int, required=False, empty_value=None
    )
    owner_agency = forms.TypedChoiceField(
        label=_("Or an agency"), coerce=int, required=False, empty_value=None
    )
    owner_name = forms.CharField(label=_("Or type who"), max_length=100, required=False)
    agenda_item = forms.TypedChoiceField(
        label=_("On agenda item"), coerce=int, required=False, empty_value=None
    )
    effect = forms.ChoiceField(
        label=_("And for a case"),
        widget=forms.RadioSelect,
        initial=EFFECT_NONE,
        choices=[
            (EFFECT_NONE, _("Nothing for a case")),
            (EFFECT_OPEN, _("Open a case for it")),
            (EFFECT_MOVE, _("Move a case on the agenda to its next step")),
        ],
    )
    category = forms.ChoiceField(label=_("Category of the new case"), required=False)
    grid = forms.TypedChoiceField(label=_("Where the case is"), coerce=int, required=False, empty_value=None)
    move = forms.ChoiceField(label=_("Case and step"), required=False)
    service_fields = {
        "owner": "owner_user",
        "description": "text",
        "lon": "grid",
        "case": "move",
        "action": "move",
    }

    def __init__(
        self, *args, users=(), agencies=(), items=(), category_groups=(), grids=(), moves=(), **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["owner_user"].choices = [("", "—"), *users]
        self.fields["owner_agency"].choices = [("", "—"), *((a.pk, a.name) for a in agencies)]
        self.fields["agenda_item"].choices = [
            ("", "—"),
            *((i.pk, f"{i.order + 1}. {i.title}") for i in items),
        ]
        self.fields["category"].choices = [
            ("", "—"),
            *((g.major.name, [(c.code, c.name) for c in g.minors]) for g in category_groups),
        ]
        self.fields["grid"].choices = [
            ("", _("The centre of the meeting's village or grid")),
            *((g.pk, g.name) for g in grids),
        ]
        self.fields["move"].choices = [
            ("", "—"),
            *((f"{case.pk}:{t.action}", f"{case.tracking_number} · {t.label}") for case, t in moves),
        ]
        self.moves = {f"{case.pk}:{t.action}": (case, t.action) for case, t in moves}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        effect = data.get("effect")
        if effect == EFFECT_OPEN and not data.get("category"):
            self.add_error("category", _("Choose the category of the case to open."))
        if effect == EFFECT_MOVE and data.get("move") not in self.moves:
            self.add_error("move", _("Choose a case on the agenda and its step."))
        return data


class DecisionMarkForm(ServiceErrorsMixin, forms.Form):
    state = forms.ChoiceField(
        label=_("Mark the decision as"),
        choices=[(s, s.label) for s in (Decision.State.DONE, Decision.State.DROPPED)],
        widget=forms.RadioSelect,
        initial=Decision.State.DONE,
    )
    note = forms.CharField(
        label=_("How it was done, or why it was dropped"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    service_fields = {"state": "state", "note": "note"}
