"""Forms of the pairings pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Agency
from civicgrid.cases.forms import ServiceErrorsMixin
from civicgrid.governance.models import Envoy, EnvoyActivity, Matter, Pairing, SupportRecord
from civicgrid.places.models import Place

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"})


def _place_choices(places: list[Place]) -> list[tuple[str, str]]:
    return [(p.code, p.display_name) for p in places]


class PairingForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What is paired with the village"), choices=Pairing.Kind.choices)
    village = forms.ChoiceField(label=_("Village or community"))
    agency = forms.TypedChoiceField(
        label=_("Paired agency"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("For a financial institution: choose it only if it has an agency account here."),
    )
    partner_name = forms.CharField(
        label=_("Name of the financial institution"),
        max_length=100,
        required=False,
        help_text=_("Left empty for an agency: its name is used."),
    )
    starts_on = forms.DateField(label=_("Paired from"), widget=DATE)
    ends_on = forms.DateField(label=_("Paired until"), required=False, widget=DATE)
    note = forms.CharField(
        label=_("Note on the pairing"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, villages: list[Place], agencies: list[Agency], **kwargs):
        kwargs.setdefault("initial", {}).setdefault("starts_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = _place_choices(villages)
        if len(villages) == 1:
            self.fields["village"].initial = villages[0].code
        self.fields["agency"].choices = [("", "—"), *((a.pk, a.name) for a in agencies)]


class EndForm(ServiceErrorsMixin, forms.Form):
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    note = forms.CharField(
        label=_("Why it ends"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args, with_note: bool = True, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("ends_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        if not with_note:
            del self.fields["note"]


class SupportForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of support"), choices=SupportRecord.Kind.choices)
    on = forms.DateField(label=_("Day of the support"), widget=DATE)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        widget=MONEY,
        help_text=_("For funds and loans."),
    )
    matter = forms.TypedChoiceField(
        label=_("Matter taken up"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("A claimed matter of the task board in this village."),
    )
    note = forms.CharField(
        label=_("What the support was"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, matters: list[Matter], **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["matter"].choices = [("", "—"), *((m.pk, m.title) for m in matters)]
        if not matters:
            self.fields["matter"].help_text = _(
                "No claimed matter of this village is waiting to be recorded."
            )


class EnvoyForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Who is sent down"), choices=Envoy.Kind.choices)
    grid = forms.ChoiceField(label=_("Grid"))
    name = forms.CharField(label=_("Name of the person sent down"), max_length=60)
    organisation = forms.CharField(label=_("Their unit or organisation"), max_length=100, required=False)
    role = forms.CharField(
        label=_("Role in the grid"),
        max_length=60,
        required=False,
        help_text=_("E.g. grid instructor, financial adviser."),
    )
    phone = forms.CharField(
        label=_("Phone of the person sent down"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    username = forms.CharField(
        label=_("Their account (user name)"),
        max_length=150,
        required=False,
        help_text=_("If they sign in here: they record their own activity and the cases they handle show."),
    )
    pairing = forms.TypedChoiceField(
        label=_("Comes under the pairing"), coerce=int, required=False, empty_value=None
    )
    starts_on = forms.DateField(label=_("Term from"), widget=DATE)
    ends_on = forms.DateField(label=_("Term until"), required=False, widget=DATE)

    service_fields = {"user": "username"}

    def __init__(self, *args, grids: list[Place], pairings: list[Pairing], **kwargs):
        kwargs.setdefault("initial", {}).setdefault("starts_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = _place_choices(grids)
        if len(grids) == 1:
            self.fields["grid"].initial = grids[0].code
        self.fields["pairing"].choices = [("", "—"), *((p.pk, p.partner_name) for p in pairings)]
        if not pairings:
            del self.fields["pairing"]


class ActivityForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What they did"), choices=EnvoyActivity.Kind.choices)
    on = forms.DateField(label=_("Day of the activity"), widget=DATE)
    case_number = forms.CharField(
        label=_("Tracking number of the case"),
        max_length=20,
        required=False,
        help_text=_("For a case of this grid they took part in."),
    )
    note = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    service_fields = {"case": "case_number"}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)


class FiguresForm(forms.Form):
    """The figures page's choice of town and period (unparsed values go to `figures.period_of`)."""

    town = forms.ChoiceField(label=_("Town or street"), required=False)
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[("month", _("Month")), ("quarter", _("Quarter")), ("custom", _("Days chosen"))],
    )
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"}), max_length=7
    )
    quarter = forms.CharField(
        label=_("Quarter"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "2026-Q2"}),
    )
    since = forms.DateField(label=_("From"), required=False, widget=DATE)
    until = forms.DateField(label=_("Until"), required=False, widget=DATE)

    def __init__(self, *args, towns: list[Place], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].choices = _place_choices(towns)
