"""Forms of the task board's pages; they parse input, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Agency
from civicgrid.cases.forms import MultipleFileField, ServiceErrorsMixin
from civicgrid.governance import access
from civicgrid.governance.models import Matter
from civicgrid.governance.services_board import OTHER_CLAIMANTS, ClaimIn, Step
from civicgrid.places.models import Place

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A longer list of places asks for the code instead (a superuser over a whole city).
MAX_REGION_CHOICES = 600


def region_choices(user) -> list[tuple[str, str]]:
    """The places `user` publishes for, from their town or village down to grids, in code order,
    indented by level ([] when there are too many to list)."""
    qs = Place.objects.filter(level__in=("town", "village", "grid")).order_by("code")
    if not access.is_root(user):
        places = access.publisher_places(user)
        if not places:
            return []
        condition = Q()
        for place in places:
            condition |= Q(code__startswith=place.scope_prefix)
        qs = qs.filter(condition)
    rows = list(qs.values_list("code", "name", "level")[: MAX_REGION_CHOICES + 1])
    if len(rows) > MAX_REGION_CHOICES:
        return []
    indent = {"town": 0, "village": 1, "grid": 2}
    return [(code, "\u3000" * indent[level] + name) for code, name, level in rows]


class RegionField(forms.Field):
    """A place by its code: chosen from a list when it is short, typed when long."""

    widget = forms.TextInput(attrs={"maxlength": 15, "inputmode": "numeric"})

    def to_python(self, value: Any) -> Place | None:
        code = str(value or "").strip()
        if not code:
            return None
        place = Place.objects.filter(code=code).first()
        if place is None:
            raise forms.ValidationError(_("No place has the code “%(code)s”.") % {"code": code[:20]})
        return place

    def prepare_value(self, value: Any) -> Any:
        return value.code if isinstance(value, Place) else value


class MatterForm(ServiceErrorsMixin, forms.Form):
    """A draft: what is needed, the budget, the place it serves, the deadline."""

    title = forms.CharField(label=_("Title of the matter"), max_length=120)
    need = forms.CharField(
        label=_("What is needed"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    budget = forms.DecimalField(
        label=_("Budget (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
    )
    region = RegionField(label=_("Place it serves"))
    deadline = forms.DateField(label=_("Deadline"), widget=DATE)

    def __init__(self, *args: Any, user=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = region_choices(user)
        field = self.fields["region"]
        if choices:
            field.widget = forms.Select(choices=[("", "—"), *choices])
        else:
            field.help_text = _("Type the place's code (a town, village or grid).")


class StepForm(ServiceErrorsMixin, forms.Form):
    """One step on a matter: its text (plan, progress, reason), photos where the step takes them, and
    for a claim who claims. `version` is the matter's when the form was drawn."""

    service_fields = {"text": "text", "agency": "agency"}

    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, step: Step, user, matter: Matter, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", step.action)
        kwargs.setdefault("initial", {"version": matter.version})
        super().__init__(*args, **kwargs)
        self.step = step
        # The panel's title: the step's, or for a town recording a claim, what it does.
        self.title = step.label
        self.agency_name = ""
        self.recording = False
        text = self.fields["text"]
        text.label = step.text_label
        text.required = step.text_required
        if step.photos:
            self.fields["photos"] = MultipleFileField(label=_("Photos of the work"), required=False)
        if step.action == "claim":
            self._claim_fields(user, matter)

    def _claim_fields(self, user, matter: Matter) -> None:
        agencies = list(Agency.objects.filter(pk__in=access.claimable_agency_ids(user)).order_by("name"))
        others = access.can_record_claim_for_others(user, matter)
        if len(agencies) == 1 and not others:
            self.agency_name = agencies[0].name
        elif agencies:
            blank = [("", _("Another claimant, named below"))] if others else [("", "—")]
            self.fields["agency"] = forms.ChoiceField(
                label=_("Claim it for"),
                choices=[*blank, *((str(a.pk), a.name) for a in agencies)],
                required=not others,
            )
        if others and not agencies:
            self.recording = True
            self.title = _("Record a claim for an enterprise or organisation")
        if others:
            kinds = [(k, label) for k, label in Matter.ClaimantKind.choices if k in OTHER_CLAIMANTS]
            self.fields["claimant_kind"] = forms.ChoiceField(
                label=_("Kind of claimant"), choices=[("", "—"), *kinds], required=not agencies
            )
            self.fields["claimant_name"] = forms.CharField(
                label=_("Name of the enterprise or organisation"), max_length=100, required=not agencies
            )

    def claim(self) -> ClaimIn:
        data = self.cleaned_data
        agency_id = data.get("agency") or ""
        agency = Agency.objects.filter(pk=int(agency_id)).first() if agency_id.isdigit() else None
        return ClaimIn(agency=agency, kind=data.get("claimant_kind", ""), name=data.get("claimant_name", ""))


class BoardFilterForm(forms.Form):
    """The board's filters (a GET form): state, town, village."""

    state = forms.ChoiceField(label=_("State of the matter"), required=False)
    town = forms.ChoiceField(label=_("Town / street"), required=False)
    village = forms.ChoiceField(label=_("Village / community"), required=False)

    def __init__(self, *args: Any, states, towns, villages, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("Every state")), *states]
        self.fields["town"].choices = [("", _("Every town")), *((t.code, t.display_name) for t in towns)]
        self.fields["village"].choices = [
            ("", _("Every village")),
            *((v.code, v.display_name) for v in villages),
        ]
