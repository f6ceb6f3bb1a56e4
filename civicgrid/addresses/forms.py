"""Forms of the register's pages: they parse input; `services` decides and refuses."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from civicgrid.core.errors import ApplicationError

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MAGIC = b"PK\x03\x04"


class ServiceErrors:
    """Put a service's refusal next to the fields it names, or above the form."""

    def add_service_error(self, exc: ApplicationError) -> None:
        fields = dict(exc.extra.get("fields") or {})
        if not fields:
            self.add_error(None, exc.message)  # type: ignore[attr-defined]
            return
        for name, message in fields.items():
            self.add_error(name if name in self.fields else None, str(message))  # type: ignore[attr-defined]


def _text(label, max_length: int, placeholder: str = "", **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": placeholder, "autocomplete": "off", **attrs}),
    )


class AddressForm(ServiceErrors, forms.Form):
    """Add or correct an address: its parts, and a point taken from the phone or the map."""

    grid = forms.ChoiceField(label=_("Grid"), required=True)
    road = _text(_("Road or street"), 60, _("e.g. 解放路"))
    number = _text(_("House number"), 20, _("e.g. 88"), inputmode="text")
    compound = _text(_("Residential compound"), 60, _("e.g. 幸福家园"))
    building = _text(_("Building"), 20, _("e.g. 3"))
    unit = _text(_("Unit"), 20, _("e.g. 2"))
    lon = forms.CharField(
        label=_("Longitude"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    lat = forms.CharField(
        label=_("Latitude"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    crs = forms.CharField(required=False, widget=forms.HiddenInput)
    aliases = forms.CharField(
        label=_("Other names"),
        required=False,
        max_length=2000,
        help_text=_("Aliases or former names, one a line (or separated by ；)."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, grids=(), with_aliases: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = [(g.code, g.display_name) for g in grids]
        if len(self.fields["grid"].choices) == 1:
            self.fields["grid"].widget = forms.HiddenInput()
            self.fields["grid"].initial = self.fields["grid"].choices[0][0]
        if not with_aliases:
            del self.fields["aliases"]

    def alias_list(self) -> list[str]:
        import re

        return [
            a.strip() for a in re.split(r"[\n；;、|]", self.cleaned_data.get("aliases") or "") if a.strip()
        ]


class AliasForm(ServiceErrors, forms.Form):
    text = forms.CharField(
        label=_("Other name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("alias", _("Alias")), ("former", _("Former name"))],
        initial="alias",
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Address workbook (.xlsx or .csv)"),
        help_text=_("The first sheet, with a header row; the template below shows the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,.csv,{XLSX_TYPE},text/csv"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise forms.ValidationError(
                _("Choose an Excel workbook (.xlsx) or a .csv file."), code="extension"
            )
        limit = settings.HOTLINE_UPLOAD_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the largest accepted is %(limit)s."),
                code="too_large",
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        if name.endswith(".xlsx"):
            head = upload.read(len(ZIP_MAGIC))
            upload.seek(0)
            if head != ZIP_MAGIC:
                raise forms.ValidationError(
                    _("This file is not an Excel workbook (.xlsx), whatever its name says."), code="not_xlsx"
                )
        return upload

    @property
    def suffix(self) -> str:
        return "csv" if (self.cleaned_data["file"].name or "").lower().endswith(".csv") else "xlsx"
