"""Forms of the volunteers pages; they parse input, the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.core.errors import ApplicationError
from civicgrid.places.models import Place
from civicgrid.volunteers.choices import ServiceField
from civicgrid.volunteers.models import Activity
from civicgrid.volunteers.selectors import WHEN_CHOICES

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ServiceErrorsMixin:
    def add_service_error(self, exc: ApplicationError) -> None:
        """Put a service's refusal next to the fields it names, or above the form."""
        fields = dict(exc.extra.get("fields") or {})
        if not fields:
            self.add_error(None, exc.message)
        for name, message in fields.items():
            self.add_error(name if name in self.fields else None, str(message))


class ActivityFilterForm(forms.Form):
    when = forms.ChoiceField(
        label=_("When"),
        required=False,
        choices=list(zip(WHEN_CHOICES, [_("Upcoming"), _("Past"), _("All")], strict=True)),
    )
    service_field = forms.ChoiceField(
        label=_("Service field"), required=False, choices=[("", _("All fields")), *ServiceField.choices]
    )
    text = forms.CharField(label=_("Search"), required=False, max_length=50)


class RegisterForm(ServiceErrorsMixin, forms.Form):
    community = forms.ModelChoiceField(
        label=_("Village or community"), queryset=Place.objects.none(), empty_label=_("Choose your community")
    )
    real_name = forms.CharField(label=_("Real name"), max_length=50)
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        max_length=200,
        help_text=_("Separate them with commas, e.g. 急救、摄影。"),
    )
    national_number = forms.CharField(
        label=_("National volunteer number"),
        required=False,
        max_length=40,
        help_text=_("If you are registered on the national volunteer service platform."),
    )

    def __init__(self, *args, communities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["community"].label_from_instance = lambda p: (
            f"{p.display_name} ({p.parent.display_name if p.parent_id else ''})"
        )


class ActivityForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Activity
        fields = [
            "title",
            "description",
            "service_field",
            "starts_at",
            "ends_at",
            "place_name",
            "lon",
            "lat",
            "capacity",
            "signup_opens_at",
            "signup_closes_at",
            "cancel_cutoff_hours",
            "required_skills",
            "checkin_radius_m",
            "status",
        ]
        widgets = {
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "signup_opens_at": DATETIME,
            "signup_closes_at": DATETIME,
            "description": forms.Textarea(attrs={"rows": 3}),
            "capacity": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "lon": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "lat": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        }
        help_texts = {
            "lon": _("WGS-84, e.g. 120.7052; leave empty if there is no fixed place."),
            "checkin_radius_m": _("Only check in within this distance of the place; empty: anywhere."),
            "cancel_cutoff_hours": _("Volunteers cannot cancel within this many hours of the start."),
            "required_skills": _("Separate them with commas."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (Activity.Status.PUBLISHED, Activity.Status.PUBLISHED.label),
            (Activity.Status.DRAFT, Activity.Status.DRAFT.label),
        ]
        for name in ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def _post_clean(self) -> None:
        # The services validate and save; the model instance is not written from the form.
        pass


class TeamForm(ServiceErrorsMixin, forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Place.objects.none())
    name = forms.CharField(label=_("Team name"), max_length=100)
    service_field = forms.ChoiceField(label=_("Service field"), choices=ServiceField.choices)

    def __init__(self, *args, communities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class TeamEditForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=100)
    service_field = forms.ChoiceField(label=_("Service field"), choices=ServiceField.choices)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("A retired team keeps its record and takes no new activities."),
    )


class MemberForm(ServiceErrorsMixin, forms.Form):
    number = forms.CharField(
        label=_("Volunteer number"), max_length=24, help_text=_("As shown on the volunteer's record page.")
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason for declining"), max_length=300)


class CorrectionForm(ServiceErrorsMixin, forms.Form):
    minutes = forms.IntegerField(
        label=_("Minutes to add"),
        help_text=_("Below zero to take time away."),
        min_value=-1440,
        max_value=1440,
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ManualHoursForm(ServiceErrorsMixin, forms.Form):
    """Hours given outside an activity's attendance, recorded by the team's leader (approved by another)."""

    volunteer = forms.TypedChoiceField(label=_("Volunteer"), coerce=int)
    day = forms.DateField(label=_("Day of the service"), widget=forms.DateInput(attrs={"type": "date"}))
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=1440)
    content = forms.CharField(label=_("Service content"), max_length=200)
    reason = forms.CharField(label=_("Why by hand"), max_length=300)

    def __init__(self, *args, members: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].choices = list(members)


class CertificateForm(ServiceErrorsMixin, forms.Form):
    period_start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster workbook"),
        help_text=_(
            "A .xlsx or .csv file with the columns 姓名, 手机号 and optionally 技能, 全国志愿者编号."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Give a .xlsx or .csv file."))
        if upload.size > 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        return upload
