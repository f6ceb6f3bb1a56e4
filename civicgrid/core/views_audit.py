"""The audit log page: administrative writes, newest first, for the administrators who may read them."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from civicgrid.core import audit
from civicgrid.core.errors import PermissionDenied
from civicgrid.core.htmx import is_htmx_partial
from civicgrid.core.models import AuditEntry

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    """The filters of the log page, read from GET parameters; `actor_id` and the target come from links."""

    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    actor = forms.CharField(
        label=gettext_lazy("By"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Name or account"), "autocomplete": "off"}
        ),
    )
    target = forms.CharField(
        label=gettext_lazy("About"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": gettext_lazy("Place, person, token, category…"),
                "autocomplete": "off",
            }
        ),
    )
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    actor_id = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    target_type = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)
    target_id = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any action")), *audit.action_choices()]

    def clean(self):
        data = super().clean()
        since, until = data.get("date_from"), data.get("date_to")
        if since and until and since > until:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> audit.Filters:
        """Return the filters of a valid form; days run from midnight to midnight, local time."""
        data = self.cleaned_data
        since, until = data.get("date_from"), data.get("date_to")
        return audit.Filters(
            action=data.get("action") or "",
            actor=(data.get("actor") or "").strip(),
            actor_id=data.get("actor_id"),
            target=(data.get("target") or "").strip(),
            target_type=data.get("target_type") or "",
            target_id=data.get("target_id") or "",
            since=timezone.make_aware(datetime.combine(since, time.min)) if since else None,
            until=timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
            if until
            else None,
        )


def _rows(request: HttpRequest, entries: list) -> list[dict]:
    """Return what the template shows of each entry, with its links to the entries by the same actor or
    about the same target (the current filters kept, from the newest page)."""
    params = request.GET.copy()
    params.pop("before", None)
    sources = {value: str(label) for value, label in AuditEntry.Source.choices}

    def link(**changes: object) -> str:
        query = params.copy()
        for key, value in changes.items():
            query[key] = str(value)
        return "?" + query.urlencode()

    return [
        {
            "entry": entry,
            "action": audit.action_label(entry.action),
            "source": sources.get(entry.source, entry.source),
            "target_kind": audit.target_label(entry.target_type),
            "changes": audit.change_lines(entry),
            "actor_url": link(actor_id=entry.actor_id) if entry.actor_id else "",
            "target_url": link(target_type=entry.target_type, target_id=entry.target_id)
            if entry.target_id
            else "",
        }
        for entry in entries
    ]


@login_required
@never_cache
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """List the entries the user may read, newest first, filtered; "older" pages by keyset.

    One view serves the full page and the htmx fragment of its results.
    """
    reach = audit.reach(request.user)
    if reach is None:
        raise PermissionDenied(_("The audit log is for district and city administrators."))
    form = AuditFilterForm(request.GET)
    page = None
    if form.is_valid():
        page = audit.entries_page(
            request.user, filters=form.filters(), cursor=request.GET.get("before"), size=PAGE_SIZE
        )
    data = form.cleaned_data if page is not None else {}
    context = {
        "form": form,
        "rows": _rows(request, page.entries) if page else [],
        "older": page.older if page else "",
        "is_first_page": not audit.parse_cursor(request.GET.get("before")),
        "narrowed": bool(data.get("actor_id") or data.get("target_type")),
        "filtered": any(data.get(k) for k in ("action", "actor", "target", "date_from", "date_to")),
        "everything": reach.everything,
    }
    template = "core/_audit_results.html" if is_htmx_partial(request) else "core/audit.html"
    return render(request, template, context)
