"""Forms of the coverage pages: they parse input; the services in `coverage` decide and refuse."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.forms import MultipleFileField, MultipleFileInput
from civicgrid.core.errors import ApplicationError
from civicgrid.orgs.evidence import MAX_FILES as EVIDENCE_MAX_FILES
from civicgrid.orgs.models import CoverageKind, CoverageMode, Organisation, TargetCategory
from civicgrid.places.models import Place

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def place_error(form: forms.Form, exc: ApplicationError) -> None:
    """Put a service's refusal next to its fields (or above the form)."""
    fields = (exc.extra or {}).get("fields") or {}
    placed = False
    for name, message in fields.items():
        if name in form.fields:
            form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class RegionCodeField(forms.CharField):
    """A district, town or village named by its code."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        place = Place.objects.select_related("parent__parent__parent").filter(code=value.strip()).first()
        if place is None:
            raise forms.ValidationError(_("No region has this code."))
        return place


class TargetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    category = forms.ChoiceField(label=_("Category"), choices=TargetCategory.choices)
    region = RegionCodeField(
        label=_("Region code"),
        max_length=15,
        help_text=_("The code of the district, town or street, or village or community it lies in."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18, required=False)
    size = forms.IntegerField(label=_("Women members / employees"), min_value=0, required=False)
    active_from = forms.DateField(label=_("Active from"), widget=DATE)
    active_to = forms.DateField(
        label=_("Closed on"), required=False, widget=DATE, help_text=_("Leave empty while it is active.")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class LinkForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    mode = forms.ChoiceField(label=_("Mode"), choices=CoverageMode.choices)
    kind = forms.ChoiceField(label=_("Kind of coverage"), choices=CoverageKind.choices)
    valid_from = forms.DateField(label=_("From"), widget=DATE)
    valid_to = forms.DateField(label=_("Until"), required=False, widget=DATE)
    evidence = forms.CharField(
        label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    files = MultipleFileField(
        label=_("Photos or PDFs"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}),
        max_count=EVIDENCE_MAX_FILES,
    )

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (
            organisations if organisations is not None else Organisation.objects.none()
        )


class LinkEndForm(forms.Form):
    valid_to = forms.DateField(
        label=_("Ended on"), widget=DATE, help_text=_("The first day it no longer covers.")
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class TargetFilterForm(forms.Form):
    region = forms.CharField(label=_("Region code"), required=False, max_length=15)
    category = forms.ChoiceField(label=_("Category"), required=False, choices=[("", _("All categories"))])
    kind = forms.ChoiceField(label=_("Kind of coverage"), required=False, choices=CoverageKind.choices)
    covered = forms.ChoiceField(
        label=_("Covered"),
        required=False,
        choices=[("", _("Either")), ("yes", _("Covered")), ("no", _("Not covered"))],
    )
    q = forms.CharField(label=_("Name"), required=False, max_length=50)
    closed = forms.BooleanField(label=_("Include closed targets"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *TargetCategory.choices]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Workbook"),
        help_text=_(
            "An .xlsx or CSV file; columns 名称, 类别, 区划代码, 统一社会信用代码, 人数, 起始日期, 注销日期."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
