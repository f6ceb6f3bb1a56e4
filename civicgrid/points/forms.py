"""Forms of the points pages: they parse input; the services decide and refuse."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.points import selectors
from civicgrid.points.models import Award, Publication, Reward
from civicgrid.volunteers.choices import ServiceField

NUMBER = {"inputmode": "numeric", "min": "0"}


def new_key() -> str:
    """A fresh idempotency key, drawn into each redeem form: a retried POST carries the same one."""
    return uuid.uuid4().hex


class PersonField(forms.CharField):
    """A person named by their mobile number or account name."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        person = selectors.person_by_login(value)
        if person is None:
            raise forms.ValidationError(_("No one has this mobile number or account name."))
        return person


class RulesForm(forms.Form):
    valid_from = forms.DateField(label=_("In force from"), widget=forms.DateInput(attrs={"type": "date"}))
    hourly_default = forms.IntegerField(
        label=_("Points per hour (other fields)"),
        min_value=0,
        initial=0,
        widget=forms.NumberInput(attrs=NUMBER),
    )
    per_activity = forms.IntegerField(
        label=_("Points per activity attended"),
        min_value=0,
        initial=0,
        widget=forms.NumberInput(attrs=NUMBER),
    )
    report_resident = forms.IntegerField(
        label=_("Points for a resident's accepted report"),
        min_value=0,
        initial=0,
        widget=forms.NumberInput(attrs=NUMBER),
    )
    report_mobile = forms.IntegerField(
        label=_("Points for a mobile grid member's accepted lead"),
        min_value=0,
        initial=0,
        widget=forms.NumberInput(attrs=NUMBER),
    )
    expires_after_months = forms.IntegerField(
        label=_("Points expire after (months)"),
        help_text=_("Empty: points never expire. Spending uses the oldest points first."),
        min_value=1,
        max_value=120,
        required=False,
        widget=forms.NumberInput(attrs=NUMBER),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in ServiceField.choices:
            self.fields[f"hourly_{value}"] = forms.IntegerField(
                label=_("Points per hour: %(field)s") % {"field": label},
                min_value=0,
                required=False,
                widget=forms.NumberInput(attrs=NUMBER),
            )

    def hourly_fields(self):
        return [self[f"hourly_{value}"] for value in ServiceField.values]

    def hourly(self) -> dict[str, int]:
        return {
            value: self.cleaned_data[f"hourly_{value}"]
            for value in ServiceField.values
            if self.cleaned_data.get(f"hourly_{value}") is not None
        }


class RewardForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Reward.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    cost = forms.IntegerField(label=_("Points"), min_value=1, widget=forms.NumberInput(attrs=NUMBER))
    stock = forms.IntegerField(
        label=_("Stock (goods)"),
        min_value=0,
        initial=0,
        required=False,
        widget=forms.NumberInput(attrs=NUMBER),
    )
    providers = forms.CharField(
        label=_("Providers"),
        required=False,
        help_text=_("Mobile numbers or account names of the people who deliver it, separated by commas."),
    )

    def clean_providers(self):
        people = []
        for login in [
            p.strip() for p in self.cleaned_data["providers"].replace("，", ",").split(",") if p.strip()
        ]:
            person = selectors.person_by_login(login)
            if person is None:
                raise forms.ValidationError(
                    _("No one has the mobile number or account name “%(login)s”.") % {"login": login}
                )
            people.append(person)
        return people


class StockForm(forms.Form):
    add_stock = forms.IntegerField(
        label=_("Add units (negative to remove)"), widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )


class SlotForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    capacity = forms.IntegerField(
        label=_("Places"), min_value=1, max_value=1000, initial=1, widget=forms.NumberInput(attrs=NUMBER)
    )

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        return timezone.make_aware(value) if timezone.is_naive(value) else value


class RedeemForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    slot = forms.TypedChoiceField(label=_("Time"), coerce=int, required=False, widget=forms.RadioSelect)

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [
            (s.id, f"{timezone.localtime(s.starts_at):%Y-%m-%d %H:%M}") for s in slots
        ]


class AwardForm(forms.Form):
    person = PersonField(label=_("Person"), help_text=_("Their mobile number or account name."))
    kind = forms.ChoiceField(label=_("Kind"), choices=Award.Kind.choices)
    points = forms.IntegerField(label=_("Points"), min_value=1, widget=forms.NumberInput(attrs=NUMBER))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class PublishForm(forms.Form):
    period = forms.CharField(
        label=_("Period"),
        max_length=10,
        help_text=_("A month (2026-03), a quarter (2026-Q1) or a year (2026)."),
    )
    team_id = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=0)
    names = forms.ChoiceField(label=_("Names shown as"), choices=Publication.Names.choices, initial="surname")
    notice_days = forms.IntegerField(
        label=_("Notice period (days)"),
        min_value=1,
        max_value=30,
        initial=7,
        widget=forms.NumberInput(attrs=NUMBER),
    )

    def __init__(self, *args, teams: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team_id"].choices = [("", _("The whole community")), *teams]


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Your objection"), min_length=5, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class HouseholdForm(forms.Form):
    name = forms.CharField(
        label=_("Household"), max_length=100, help_text=_("E.g. the head of household and the address.")
    )


class MemberForm(forms.Form):
    person = PersonField(label=_("Person"), help_text=_("Their mobile number or account name."))


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
