"""The forms of the 12345 pages: the export upload, and the filters of the category table."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An .xlsx is a zip archive: its first bytes say so, whatever the file is called.
ZIP_MAGIC = b"PK\x03\x04"


class HotlineUploadForm(forms.Form):
    file = forms.FileField(
        label=_("12345 export (.xlsx or .csv)"),
        help_text=_(
            "The export of the 12345 hotline system: the first sheet, with a header row; a .csv in UTF-8 "
            "or as Excel saves it (GB18030)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,.csv,{XLSX_TYPE},text/csv"}),
    )

    @property
    def suffix(self) -> str:
        """The kind of the cleaned upload: "xlsx" or "csv"."""
        return self.cleaned_data["file"].name.rsplit(".", 1)[-1].lower()

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
        head = upload.read(len(ZIP_MAGIC))
        upload.seek(0)
        if name.endswith(".xlsx") and head != ZIP_MAGIC:
            raise forms.ValidationError(
                _("This file is not an Excel workbook (.xlsx), whatever its name says."), code="not_xlsx"
            )
        if name.endswith(".csv") and head == ZIP_MAGIC:
            raise forms.ValidationError(
                _("This file is an Excel workbook: name it .xlsx, or save it as CSV."), code="not_csv"
            )
        return upload


class CategoryMapFilterForm(forms.Form):
    SHOW = [
        ("", _("All, unmapped first")),
        ("unmapped", _("Not mapped yet")),
        ("mapped", _("Mapped already")),
    ]
    q = forms.CharField(label=_("Find a path or category"), required=False, max_length=100)
    show = forms.ChoiceField(label=_("Show"), choices=SHOW, required=False)
