"""Forms of the organisation pages; they parse input, the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.forms import ServiceErrorsMixin
from civicgrid.orgs.models import Organisation, OrgKind, Position
from civicgrid.places.models import Place

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A region list longer than this asks for the code instead (a city of thousands of villages).
MAX_REGION_CHOICES = 600


def region_choices(within: Place | None) -> list[tuple[str, str]]:
    """Places from `within` down to villages, in code order, indented by level."""
    qs = Place.objects.exclude(level=Place.Level.GRID).order_by("code")
    if within is not None:
        qs = qs.filter(code__startswith=within.scope_prefix)
    rows = list(qs.values_list("code", "name", "level")[: MAX_REGION_CHOICES + 1])
    if len(rows) > MAX_REGION_CHOICES:
        return []
    indent = {"city": 0, "district": 1, "town": 2, "village": 3}
    return [(code, "\u3000" * indent.get(level, 0) + name) for code, name, level in rows]


class RegionField(forms.Field):
    """A place by its code: a list to choose from when short, a code to type when long."""

    widget = forms.TextInput(attrs={"maxlength": 15, "inputmode": "numeric"})

    def __init__(self, *args, within: Place | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.within = within

    def to_python(self, value):
        code = str(value or "").strip()
        if not code:
            return None
        place = Place.objects.filter(code=code).first()
        if place is None:
            raise forms.ValidationError(_("No region has the code “%(code)s”.") % {"code": code})
        return place

    def prepare_value(self, value):
        return value.code if isinstance(value, Place) else value


class OrgForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgKind.choices)
    leading = forms.BooleanField(label=_("A leading enterprise's federation"), required=False)
    region = RegionField(label=_("Region"))
    founded_on = forms.DateField(label=_("Founded on"), required=False, widget=DATE)
    status = forms.ChoiceField(label=_("Status"), choices=Organisation.Status.choices)
    dissolved_on = forms.DateField(label=_("Dissolved on"), required=False, widget=DATE)
    contact_name = forms.CharField(label=_("Contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, within: Place | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = region_choices(within)
        field = self.fields["region"]
        field.within = within
        if choices:
            field.widget = forms.Select(choices=[("", "—"), *choices])
        else:
            field.help_text = _("Type the region's code (e.g. 329881001 for a town).")


class MoveForm(ServiceErrorsMixin, forms.Form):
    parent = forms.TypedChoiceField(label=_("New place in the network: below"), coerce=int)

    def __init__(self, *args, candidates: list[Organisation] = (), **kwargs):
        super().__init__(*args, **kwargs)
        base = min((c.depth for c in candidates), default=1)
        self.fields["parent"].choices = [(c.pk, "\u3000" * (c.depth - base) + c.name) for c in candidates]


class AppointForm(ServiceErrorsMixin, forms.Form):
    person = forms.TypedChoiceField(
        label=_("Someone already on record"), coerce=int, required=False, empty_value=None
    )
    name = forms.CharField(label=_("Or a new person: name"), max_length=50, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        help_text=_("Kept only as a keyed hash and shown masked; it finds the same person twice."),
    )
    role = forms.ChoiceField(label=_("Post"), choices=Position.Role.choices)
    term_start = forms.DateField(label=_("Term start"), widget=DATE)
    term_end = forms.DateField(label=_("Term end"), required=False, widget=DATE)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "—"), *((p.pk, p.name) for p in people)]

    def clean(self):
        data = super().clean()
        if not data.get("person") and not (data.get("name") or "").strip():
            self.add_error("name", _("Choose someone on record or enter a new person's name."))
        return data


class EndTermForm(ServiceErrorsMixin, forms.Form):
    term_end = forms.DateField(label=_("Term ends on"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PersonForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        help_text=_("Leave empty to keep the one on record."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class TreeSearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name"), max_length=50, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *OrgKind.choices], required=False
    )


class LinkLoginForm(forms.Form):
    username = forms.CharField(
        label=_("Login (account name or mobile number)"),
        max_length=150,
        required=False,
        help_text=_(
            "With the federation-cadre role, the login acts within the organisations where this person holds an office. Empty: unlink."
        ),
    )
