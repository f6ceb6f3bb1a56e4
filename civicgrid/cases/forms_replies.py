"""The filters of the 12345 reply list and workbook (`views_hotline_replies`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.hotline_replies import ReplyFilters


class ReplyFilterForm(forms.Form):
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    closed_from = forms.DateField(
        label=_("Answered from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    closed_to = forms.DateField(
        label=_("Answered until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    handled = forms.BooleanField(label=_("Only orders with their answer"), required=False)

    def clean(self):
        data = super().clean()
        for start, end in (("received_from", "received_to"), ("closed_from", "closed_to")):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, _("The end of the period comes before its start."))
        return data

    def filters(self) -> ReplyFilters:
        """Return the filters of a valid form (none when it is not valid)."""
        if not self.is_valid():
            return ReplyFilters()
        d = self.cleaned_data
        return ReplyFilters(
            received_from=d.get("received_from"),
            received_to=d.get("received_to"),
            closed_from=d.get("closed_from"),
            closed_to=d.get("closed_to"),
            handled_only=bool(d.get("handled")),
        )
