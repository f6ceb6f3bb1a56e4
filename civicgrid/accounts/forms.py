"""Forms of the sign-in, API-token and client apps pages; the checks that matter live in accounts.services."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts import access
from civicgrid.accounts.services import CLIENT_MAX_POSTS_PER_HOUR
from civicgrid.core.errors import ApplicationError
from civicgrid.core.scopes import is_root
from civicgrid.places.models import Place


class SignInForm(forms.Form):
    login = forms.CharField(
        label=_("Account name or mobile number"),
        max_length=150,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autocapitalize": "none",
                "autocorrect": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What will use it, e.g. “12345 hotline import” or “district dashboard”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


# Indents a region's option by its level (an ideographic space: HTML keeps it, unlike a plain one).
INDENT = "\u3000"


class RegionChoiceField(forms.ModelChoiceField):
    """A place select whose options are indented by level (city, then its districts, then towns)."""

    def label_from_instance(self, obj: Place) -> str:
        return f"{INDENT * obj.depth}{obj.display_name} · {obj.get_level_display()}"


class ClientIssueForm(forms.Form):
    """Issue an Open311 key; the regions offered are those the administrator may choose."""

    name = forms.CharField(
        label=_("Application"),
        max_length=100,
        help_text=_("What will file requests, e.g. “随手拍小程序” or “FixMyStreet 海棠”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    contact = forms.CharField(
        label=_("Contact"),
        max_length=200,
        help_text=_("Who runs it and how to reach them: a name with an email or phone number."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    region = RegionChoiceField(
        label=_("Region"),
        queryset=Place.objects.none(),
        empty_label=_("Choose a region"),
        help_text=_("The application may file requests only within this region."),
    )
    posts_per_hour = forms.IntegerField(
        label=_("POSTs per hour"),
        min_value=1,
        max_value=CLIENT_MAX_POSTS_PER_HOUR,
        help_text=_("Requests beyond this in one hour are refused until the next hour."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        regions = access.client_regions(user)
        self.fields["region"].queryset = regions
        self.fields["posts_per_hour"].initial = settings.OPEN311_POSTS_PER_HOUR
        if not self.is_bound and not is_root(user):
            # An administrator's own region comes first (the widest, by code); offer it. A superuser
            # chooses, so no key covers a whole city by default.
            self.fields["region"].initial = regions.first()

    def add_service_error(self, exc: ApplicationError) -> None:
        """Put a service's refusal next to the fields it names, or above the form."""
        fields = dict(exc.extra.get("fields") or {})
        if not fields:
            self.add_error(None, exc.message)
        for name, message in fields.items():
            self.add_error(name if name in self.fields else None, str(message))
