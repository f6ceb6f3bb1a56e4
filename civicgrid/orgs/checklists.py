"""Set-up checklists (the seed's "6个1") as data: templates, the tasks they give each new organisation.

(The rest of the checklist workflow — ticking off, evidence, verification, overdue items and the
completion rates — lives here too.)
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from civicgrid.orgs.models import ChecklistTemplate, Organisation, Task


def templates_for(kind: str) -> list[ChecklistTemplate]:
    """The templates in use for an organisation of `kind`: the newest active version of each name."""
    chosen: dict[str, ChecklistTemplate] = {}
    for template in ChecklistTemplate.objects.filter(is_active=True).order_by("name", "-version"):
        if template.name in chosen:
            continue
        if not template.kinds or kind in template.kinds:
            chosen[template.name] = template
    return list(chosen.values())


def tasks_create(org: Organisation) -> list[Task]:
    """Give a new organisation one task per item of each template that applies, due from its founding."""
    if org.status == Organisation.Status.DISSOLVED:
        return []
    start = org.founded_on or timezone.localdate()
    tasks = [
        Task(organisation=org, item=item, due_on=start + timedelta(days=item.due_days))
        for template in templates_for(org.kind)
        for item in template.items.order_by("position", "id")
    ]
    return Task.objects.bulk_create(tasks)
