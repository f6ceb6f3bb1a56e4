"""The boundary import page: the same check and import as `manage.py import_places`, for admins."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.places import access, importer
from civicgrid.places.access import Perm
from civicgrid.places.forms import PlacesImportForm

# A file with thousands of problems is usually one mistake repeated; the page lists the first ones.
PROBLEMS_SHOWN = 500


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Check an uploaded places file and show its problems, or what was (or would be) written.

    1. Only users who manage some area may open the page; each place in the file must lie in it.
    2. Check the whole file; list every problem by feature.
    3. In commit mode, write everything in one transaction if there was no problem.
    """
    try:
        access.check(request.user, Perm.PLACE_MANAGE)
    except PermissionDenied as exc:
        return render(request, "403.html", {"message": exc.message}, status=403)

    plan: importer.ImportPlan | None = None
    result: importer.ImportResult | None = None
    problems: list[importer.Problem] = []
    error = ""
    status = 200
    if request.method == "POST":
        form = PlacesImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            raw = b"".join(upload.chunks())
            plan = importer.check_places(raw, user=request.user)
            problems = plan.problems
            if problems:
                error = importer.problems_message(problems)
            elif form.commit:
                source = f"upload {upload.name} by {request.user.get_username()}"
                try:
                    result = importer.apply_plan(plan, source=source)
                except ApplicationError as exc:
                    error = exc.message
                    problems = [importer.Problem(**p) for p in exc.extra.get("problems", [])]
            if error:
                status = 400
        else:
            status = 400
    else:
        form = PlacesImportForm()
    return render(
        request,
        "places/import.html",
        {
            "form": form,
            "plan": plan,
            "result": result,
            "error": error,
            "problems": problems[:PROBLEMS_SHOWN],
            "problem_count": len(problems),
            "problems_hidden": max(0, len(problems) - PROBLEMS_SHOWN),
        },
        status=status,
    )
