"""Forms of the checklist and structure pages: they parse input; the services decide and refuse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.core.errors import ApplicationError
from civicgrid.orgs.models import ChecklistTemplate, OrgKind, StructureTarget

EVIDENCE_ACCEPT = "image/*,application/pdf"
NO_EVIDENCE = {"no", "n", "0", "false", "否", "无", "不需要"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Any number of photos or PDFs under one name; the service checks what each one is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        single = super().clean
        items = [d for d in data if d] if isinstance(data, list | tuple) else ([data] if data else [])
        return [single(item, initial) for item in items]


class ServiceErrors:
    """Put a service's refusal next to the fields it names, or above the form."""

    def add_service_error(self, exc: ApplicationError) -> None:
        placed = False
        for name, message in (exc.extra.get("fields") or {}).items():
            if name in self.fields:
                self.add_error(name, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


class TaskDoneForm(ServiceErrors, forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What was done, when, who took part."),
    )
    files = EvidenceField(
        label=_("Photos or PDF"),
        required=False,
        help_text=_("Up to 9 files: photos (JPEG, PNG, WebP) or PDF."),
    )


class TaskReopenForm(ServiceErrors, forms.Form):
    reason = forms.CharField(
        label=_("Why it goes back"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TemplateForm(ServiceErrors, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("The name of an existing checklist makes a new version of it."),
    )
    kinds = forms.MultipleChoiceField(
        label=_("For organisations of these kinds"),
        choices=OrgKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every new organisation."),
    )
    items = forms.CharField(
        label=_("Items"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "One item a line: title | due within days | description | “no” when no evidence is needed. "
            "Example: Kick-off meeting | 15 | Elect the executive committee"
        ),
    )

    def clean_items(self) -> list[tuple[str, str, int, bool]]:
        rows = []
        for number, line in enumerate(self.cleaned_data["items"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("｜", "|").split("|")]
            title = parts[0]
            days = parts[1] if len(parts) > 1 and parts[1] else "30"
            description = parts[2] if len(parts) > 2 else ""
            needs = not (len(parts) > 3 and parts[3].lower() in NO_EVIDENCE)
            if not days.isdigit():
                raise forms.ValidationError(
                    _("Line %(n)s: the days are a whole number (e.g. 30).") % {"n": number}
                )
            rows.append((title, description, int(days), needs))
        if not rows:
            raise forms.ValidationError(_("Add at least one item."))
        return rows

    @staticmethod
    def initial_for(template: ChecklistTemplate | None) -> dict:
        """The form filled from an existing version, to change into the next one."""
        if template is None:
            return {}
        lines = []
        for item in template.items.all():
            parts = [item.title, str(item.due_days), item.description]
            if not item.needs_evidence:
                parts.append(str(_("no")))
            lines.append(" | ".join(parts))
        return {"name": template.name, "kinds": template.kinds, "items": "\n".join(lines)}


class StructureForm(ServiceErrors, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("The name of an existing target changes it."),
    )
    kind = forms.ChoiceField(label=_("Organisation kind"), choices=OrgKind.choices)
    leading_only = forms.BooleanField(label=_("Leading enterprises only"), required=False)
    level = forms.ChoiceField(label=_("Level"), choices=StructureTarget.Level.choices)
    required = forms.IntegerField(
        label=_("Required number"),
        min_value=1,
        max_value=99,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": "1"}),
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)
