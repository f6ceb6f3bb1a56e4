"""Forms of the places pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

IMPORT_EXTENSIONS = (".geojson", ".json")


class ImportMode(models.TextChoices):
    DRY_RUN = "dry_run", _("Check only (dry run): write nothing")
    COMMIT = "commit", _("Check and import: write everything if there is no problem")


class PlacesImportForm(forms.Form):
    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_(
            "A FeatureCollection in WGS-84, UTF-8 encoded, as the places export writes it (.geojson or .json)."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".geojson,.json,application/geo+json,application/json"}
        ),
    )
    mode = forms.ChoiceField(
        label=_("What to do"),
        choices=ImportMode.choices,
        initial=ImportMode.DRY_RUN,
        widget=forms.RadioSelect,
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith(IMPORT_EXTENSIONS):
            raise forms.ValidationError(_("Choose a .geojson or .json file."), code="extension")
        limit = settings.PLACES_UPLOAD_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the largest accepted is %(limit)s."),
                code="too_large",
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        return upload

    @property
    def commit(self) -> bool:
        return self.cleaned_data.get("mode") == ImportMode.COMMIT
