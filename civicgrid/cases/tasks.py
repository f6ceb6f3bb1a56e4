"""Background tasks of case handling (Django's tasks API through the django-tasks backport)."""

from __future__ import annotations

from django_tasks import task

from civicgrid.cases.services import cases_sweep


@task()
def sweep_cases() -> dict[str, int]:
    """Mark overdue steps, warn of near deadlines and close unrated cases; return the counts."""
    result = cases_sweep()
    return {"overdue": result.overdue, "due_soon": result.due_soon, "auto_closed": result.auto_closed}
