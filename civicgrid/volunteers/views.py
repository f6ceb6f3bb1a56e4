"""Pages of the volunteers app (phone-first): find activities, sign up, check in by QR, my hours and
record; the leader's team, attendance sheet and QR; the community office's teams; certificates.

Views parse input and call services and selectors; access decisions are in `access` (through them);
a refusal the view does not catch becomes the 403/400 page (`core.middleware`).
"""

from __future__ import annotations

import base64
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.places.models import Place
from civicgrid.volunteers import access, checkin, conf, exports, presenters, roster, selectors, services
from civicgrid.volunteers.forms import (
    ActivityFilterForm,
    ActivityForm,
    CertificateForm,
    CorrectionForm,
    ManualHoursForm,
    MemberForm,
    RegisterForm,
    RosterUploadForm,
    TeamEditForm,
    TeamForm,
)
from civicgrid.volunteers.models import Activity, Certificate, HoursRecord, Signup, Team, Volunteer

PER_PAGE = 20


def _activity(request: HttpRequest, pk: int) -> Activity:
    activity = selectors.activity_get(user=request.user, pk=pk)
    if activity is None:
        raise Http404(_("No such activity."))
    return activity


def _managed_activity(request: HttpRequest, pk: int) -> Activity:
    activity = _activity(request, pk)
    access.check_manage_team(request.user, activity.team)
    return activity


def _team(request: HttpRequest, pk: int) -> Team:
    team = Team.objects.select_related("community").filter(pk=pk).first()
    if team is None:
        raise Http404(_("No such team."))
    access.check_manage_team(request.user, team)
    return team


def _volunteer(request: HttpRequest, number: str) -> Volunteer:
    volunteer = selectors.volunteer_by_number(user=request.user, number=number)
    if volunteer is None:
        raise Http404(_("No such volunteer."))
    return volunteer


# ---------------------------------------------------------------------------------------------
# Activities (public)


def activities(request: HttpRequest) -> HttpResponse:
    """List activities with filters: upcoming by default; anyone may look."""
    form = ActivityFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.ActivityFilters(
        when=data.get("when") or "upcoming",
        service_field=data.get("service_field") or "",
        text=(data.get("text") or "").strip(),
        team=int(request.GET["team"]) if request.GET.get("team", "").isdigit() else None,
    )
    page = Paginator(selectors.activity_list(user=request.user, filters=filters), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "volunteers/activities.html",
        {
            "form": form,
            "page_obj": page,
            "items": presenters.activity_views(list(page.object_list), request.user),
            "filtered": bool(data.get("service_field") or data.get("text")),
            "volunteer": access.volunteer_of(request.user),
        },
    )


def activity(request: HttpRequest, pk: int) -> HttpResponse:
    item = _activity(request, pk)
    return render(
        request,
        "volunteers/activity.html",
        {"a": presenters.activity_view(item, request.user), "volunteer": access.volunteer_of(request.user)},
    )


@login_required
@require_POST
def activity_signup(request: HttpRequest, pk: int) -> HttpResponse:
    item = _activity(request, pk)
    volunteer = access.volunteer_of(request.user)
    if volunteer is None:
        messages.info(request, _("Register as a volunteer first; then sign up."))
        return redirect(f"{reverse('volunteers:register')}?next={item.get_absolute_url()}")
    try:
        signup = services.signup_create(activity=item, volunteer=volunteer, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if signup.state == Signup.State.CONFIRMED:
            messages.success(request, _("You have a place. See you there!"))
        else:
            messages.success(
                request,
                _(
                    "The activity is full: you are number %(n)d on the waiting list. You move up when someone cancels."
                )
                % {"n": selectors.waiting_position(signup)},
            )
    return redirect(item.get_absolute_url())


@login_required
@require_POST
def activity_cancel_signup(request: HttpRequest, pk: int) -> HttpResponse:
    item = _activity(request, pk)
    volunteer = access.volunteer_of(request.user)
    if volunteer is None:
        raise Http404(_("There is no sign-up to cancel."))
    try:
        services.signup_cancel(activity=item, volunteer=volunteer, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your sign-up is cancelled."))
    return redirect(item.get_absolute_url())


# ---------------------------------------------------------------------------------------------
# Leaders: create and edit, QR, attendance


@login_required
@require_http_methods(["GET", "POST"])
def activity_new(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _team(request, team_id)
    form = ActivityForm(request.POST or None, initial={"service_field": team.service_field, "capacity": 10})
    if request.method == "POST" and form.is_valid():
        try:
            item = services.activity_create(actor=request.user, team=team, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The activity is saved."))
            return redirect(item.get_absolute_url())
    return render(request, "volunteers/activity_form.html", {"form": form, "team": team, "item": None})


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _managed_activity(request, pk)
    if request.method == "POST" and request.POST.get("action") == "cancel":
        try:
            services.activity_cancel(actor=request.user, activity=item)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The activity is cancelled."))
        return redirect(item.get_absolute_url())
    form = ActivityForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(actor=request.user, activity=item, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The activity is saved."))
            return redirect(item.get_absolute_url())
    return render(request, "volunteers/activity_form.html", {"form": form, "team": item.team, "item": item})


@login_required
@never_cache
def activity_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The leader's phone: a check-in code that changes every 30 seconds (static/js/volunteers-qr.js)."""
    item = _managed_activity(request, pk)
    return render(
        request,
        "volunteers/qr.html",
        {"a": presenters.activity_view(item, request.user), "step": conf.qr_step_seconds()},
    )


def _qr_payload(request: HttpRequest, item: Activity) -> dict:
    now = timezone.now()
    url = request.build_absolute_uri(checkin.scan_path(item.pk, checkin.token_for(item.pk, now)))
    return {"url": url, "svg": checkin.qr_svg(url), "refresh_in": checkin.seconds_left(now)}


@login_required
@never_cache
def activity_qr_svg(request: HttpRequest, pk: int) -> HttpResponse:
    item = _managed_activity(request, pk)
    return HttpResponse(_qr_payload(request, item)["svg"], content_type="image/svg+xml")


@login_required
@never_cache
def activity_qr_json(request: HttpRequest, pk: int) -> JsonResponse:
    item = _managed_activity(request, pk)
    payload = _qr_payload(request, item)
    return JsonResponse({"url": payload["url"], "refresh_in": payload["refresh_in"]})


@login_required
@require_http_methods(["GET", "POST"])
def activity_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance sheet: check people in and out by hand, cancel a place, close the activity."""
    item = _managed_activity(request, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "close":
                records = services.activity_close(activity=item, actor=request.user)
                messages.success(
                    request,
                    _("The activity is closed: %(n)d hours records await confirmation.")
                    % {"n": len(records)},
                )
            else:
                signup = Signup.objects.filter(activity=item, pk=request.POST.get("signup") or 0).first()
                if signup is None:
                    raise Http404(_("No such sign-up."))
                if action == "remove":
                    services.signup_cancel(activity=item, volunteer=signup.volunteer, actor=request.user)
                else:
                    services.attendance_mark(actor=request.user, signup=signup, action=action)
                messages.success(
                    request, _("Attendance of %(name)s is saved.") % {"name": signup.volunteer.real_name}
                )
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("volunteers:attendance", pk=item.pk)
    return render(
        request,
        "volunteers/attendance.html",
        {
            "a": presenters.activity_view(item, request.user),
            "rows": selectors.attendance_sheet(item),
            "ended": timezone.now() >= item.ends_at,
        },
    )


# ---------------------------------------------------------------------------------------------
# Check-in by scanning


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def scan(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """What the volunteer's camera opens: check the code, then confirm (with the position if asked)."""
    item = _activity(request, pk)
    view = presenters.activity_view(item, request.user)
    context = {"a": view, "token": token, "done": None, "error": ""}
    status = 200
    if request.method == "POST":
        lon, lat = _float(request.POST.get("lon")), _float(request.POST.get("lat"))
        try:
            result = services.attendance_scan(
                activity=item, user=request.user, ticket=request.POST.get("ticket", ""), lon=lon, lat=lat
            )
        except ApplicationError as exc:
            context["error"], status = exc.message, exc.status
            context["ticket"] = request.POST.get("ticket", "")
        else:
            context["done"] = result
        return render(request, "volunteers/scan.html", context, status=status)
    if not checkin.token_valid(item.pk, token):
        context["error"] = _("This code has expired. Scan the code on the leader's phone again.")
        return render(request, "volunteers/scan.html", context, status=400)
    context["ticket"] = checkin.ticket_for(item.pk, request.user.pk)
    context["checking_out"] = bool(view.checked_in_at)
    return render(request, "volunteers/scan.html", context)


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -180 <= number <= 180 else None


# ---------------------------------------------------------------------------------------------
# Volunteers: registration, my activities, my hours and record


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if access.volunteer_of(request.user) is not None:
        return redirect("volunteers:mine")
    form = RegisterForm(
        request.POST or None,
        communities=selectors.communities_for_registration().select_related("parent"),
        initial={"real_name": request.user.display_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = services.volunteer_register(
                user=request.user,
                community=form.cleaned_data["community"],
                real_name=form.cleaned_data["real_name"],
                skills=form.cleaned_data["skills"],
                national_number=form.cleaned_data["national_number"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("You are registered. Your volunteer number is %(number)s.") % {"number": volunteer.number},
            )
            target = request.GET.get("next", "")
            return redirect(target if target.startswith("/volunteers/") else reverse("volunteers:mine"))
    return render(request, "volunteers/register.html", {"form": form})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    volunteer = access.volunteer_of(request.user)
    if volunteer is None:
        return render(request, "volunteers/mine.html", {"volunteer": None})
    signups = selectors.my_signups(volunteer)
    now = timezone.now()
    return render(
        request,
        "volunteers/mine.html",
        {
            "volunteer": presenters.volunteer_view(volunteer, request.user),
            "upcoming": [s for s in signups if s.activity.ends_at > now],
            "past": [s for s in signups if s.activity.ends_at <= now][:20],
            "teams": selectors.teams_for_volunteer(volunteer),
            "led": access.led_team_ids(request.user),
            "manages": access.can_open_community_page(request.user),
        },
    )


def _record_context(request: HttpRequest, volunteer: Volunteer) -> dict:
    totals = selectors.hours_totals(volunteer)
    return {
        "volunteer": presenters.volunteer_view(volunteer, request.user),
        "volunteer_obj": volunteer,
        "approved_hours": presenters.hours_text(totals.approved),
        "pending_hours": presenters.hours_text(totals.pending),
        "records": [presenters.hours_view(r) for r in selectors.hours_of(volunteer)],
        "lines": selectors.record_lines(volunteer=volunteer),
        "certificates": selectors.certificates_of(volunteer),
    }


@login_required
def my_hours(request: HttpRequest) -> HttpResponse:
    volunteer = access.volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register")
    return render(request, "volunteers/record.html", _record_context(request, volunteer) | {"own": True})


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_record(request: HttpRequest, number: str) -> HttpResponse:
    """A volunteer's record as their managers see it: corrections and certificates are made here."""
    volunteer = _volunteer(request, number)
    certificate_form = CertificateForm(
        initial={"period_start": date(timezone.localdate().year, 1, 1), "period_end": timezone.localdate()}
    )
    correction_form = CorrectionForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "certificate":
            certificate_form = CertificateForm(request.POST)
            if certificate_form.is_valid():
                try:
                    certificate = services.certificate_issue(
                        actor=request.user, volunteer=volunteer, **certificate_form.cleaned_data
                    )
                except ApplicationError as exc:
                    certificate_form.add_service_error(exc)
                else:
                    return redirect(certificate.get_absolute_url())
        elif action == "correct":
            correction_form = CorrectionForm(request.POST)
            original = HoursRecord.objects.filter(
                volunteer=volunteer, pk=request.POST.get("record") or 0
            ).first()
            if original is None:
                raise Http404(_("No such hours record."))
            if correction_form.is_valid():
                try:
                    services.hours_correct(
                        original=original, actor=request.user, **correction_form.cleaned_data
                    )
                except ApplicationError as exc:
                    messages.error(
                        request,
                        exc.message
                        if not exc.extra.get("fields")
                        else "; ".join(map(str, exc.extra["fields"].values())),
                    )
                else:
                    messages.success(request, _("The correction is recorded and awaits approval."))
                    return redirect("volunteers:volunteer", number=volunteer.number)
            else:
                messages.error(request, _("Please correct the marked fields."))
    context = _record_context(request, volunteer) | {
        "own": volunteer.user_id == request.user.pk,
        "can_certify": access.can_issue_certificate(request.user, volunteer),
        "can_correct": access.can_correct(request.user, volunteer),
        "certificate_form": certificate_form,
        "correction_form": correction_form,
    }
    return render(request, "volunteers/record.html", context)


@login_required
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    item = (
        Certificate.objects.select_related("community", "volunteer", "community__parent")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404(_("No such certificate."))
    access.check_view_volunteer(request.user, item.volunteer)
    return render(
        request,
        "volunteers/certificate.html",
        {
            "c": item,
            "hours": presenters.hours_text(item.total_minutes),
            "lines": [line | {"hours": presenters.hours_text(line["minutes"])} for line in item.lines],
        },
    )


# ---------------------------------------------------------------------------------------------
# Team leaders and the community office


@login_required
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest, pk: int) -> HttpResponse:
    """The leader's team page: roster, activities, hours awaiting confirmation."""
    item = _team(request, pk)
    member_form = MemberForm()
    roster = list(selectors.roster(item))
    members = [(m.volunteer_id, m.volunteer.real_name) for m in roster]
    manual_form = ManualHoursForm(members=members)
    edit_form = TeamEditForm(
        initial={
            "name": item.name,
            "service_field": item.service_field,
            "description": item.description,
            "is_active": item.is_active,
        }
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "edit":
                edit_form = TeamEditForm(request.POST)
                if edit_form.is_valid():
                    services.team_update(actor=request.user, team=item, **edit_form.cleaned_data)
                    messages.success(request, _("The team is saved."))
            elif action == "manual":
                manual_form = ManualHoursForm(request.POST, members=members)
                if manual_form.is_valid():
                    data = manual_form.cleaned_data
                    services.hours_record_manual(
                        actor=request.user,
                        team=item,
                        volunteer=Volunteer.objects.get(pk=data["volunteer"]),
                        minutes=data["minutes"],
                        day=data["day"],
                        content=data["content"],
                        reason=data["reason"],
                    )
                    messages.success(request, _("The hours are recorded and await approval."))
            if action in ("approve", "decline"):
                record = HoursRecord.objects.filter(team=item, pk=request.POST.get("record") or 0).first()
                if record is None:
                    raise Http404(_("No such hours record."))
                services.hours_decide(
                    record=record,
                    actor=request.user,
                    approve=action == "approve",
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Approved.") if action == "approve" else _("Declined."))
            elif action in ("add", "leader"):
                member_form = MemberForm(request.POST)
                if member_form.is_valid():
                    volunteer = Volunteer.objects.filter(
                        number=member_form.cleaned_data["number"].strip()
                    ).first()
                    if volunteer is None:
                        raise ApplicationError(_("No volunteer has this number."))
                    services.team_member_add(
                        actor=request.user,
                        team=item,
                        volunteer=volunteer,
                        role="leader" if action == "leader" else "member",
                    )
                    messages.success(request, _("%(name)s is on the team.") % {"name": volunteer.real_name})
            elif action == "remove":
                volunteer = Volunteer.objects.filter(pk=request.POST.get("volunteer") or 0).first()
                if volunteer is None:
                    raise Http404(_("No such volunteer."))
                services.team_member_remove(actor=request.user, team=item, volunteer=volunteer)
                messages.success(request, _("%(name)s is off the team.") % {"name": volunteer.real_name})
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            if action == "manual":
                manual_form.add_service_error(exc)
            elif action == "edit":
                edit_form.add_service_error(exc)
            else:
                fields = exc.extra.get("fields") or {}
                messages.error(request, "; ".join(map(str, fields.values())) or exc.message)
        if not member_form.errors and not manual_form.errors and not edit_form.errors:
            return redirect(item.get_absolute_url())
    now = timezone.now()
    team_activities = list(
        selectors.activity_list(
            user=request.user, filters=selectors.ActivityFilters(when="all", team=item.pk)
        )[:30]
    )
    views_ = presenters.activity_views(team_activities, request.user)
    return render(
        request,
        "volunteers/team.html",
        {
            "team": item,
            "roster": [(m, presenters.volunteer_view(m.volunteer, request.user)) for m in roster],
            "manual_form": manual_form,
            "edit_form": edit_form,
            "upcoming": [v for v in views_ if v.ends_at > now],
            "past": [v for v in views_ if v.ends_at <= now][:10],
            "pending": [presenters.hours_view(r) for r in selectors.pending_hours(item)],
            "member_form": member_form,
            "administers": access.can_administer_team(request.user, item),
        },
    )


SESSION_ROSTER = "volunteers_roster"


@login_required
@require_http_methods(["GET", "POST"])
def team_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Check a roster workbook row by row (a dry run); import it on confirmation."""
    item = _team(request, pk)
    form = RosterUploadForm()
    context: dict = {"team": item, "results": None, "committed": False, "error": ""}
    status = 200
    if request.method == "POST" and request.POST.get("step") == "commit":
        kept = request.session.pop(SESSION_ROSTER, None) or {}
        if kept.get("team") != item.pk:
            context["error"], status = (
                _("The checked workbook is no longer kept here. Upload it again to check it."),
                400,
            )
        else:
            rows = roster.read_rows(base64.b64decode(kept["data"]), kept["name"])
            context.update(
                results=roster.import_roster(team=item, actor=request.user, rows=rows, commit=True),
                committed=True,
            )
    elif request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            raw = upload.read()
            try:
                rows = roster.read_rows(raw, upload.name)
            except roster.FileProblem as exc:
                context["error"], status = str(exc), 400
            else:
                context["results"] = roster.import_roster(
                    team=item, actor=request.user, rows=rows, commit=False
                )
                request.session[SESSION_ROSTER] = {
                    "team": item.pk,
                    "name": upload.name,
                    "data": base64.b64encode(raw).decode(),
                }
        else:
            status = 400
    if context["results"] is not None:
        context["counts"] = {
            k: sum(r.outcome == k for r in context["results"]) for k in ("added", "exists", "failed")
        }
    context["form"] = form
    return render(request, "volunteers/team_import.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def community(request: HttpRequest) -> HttpResponse:
    """The community office's page: its teams, with their leaders; create a team."""
    communities = selectors.managed_communities(request.user)
    if not communities.exists():
        raise PermissionDenied(_("This page is for the community office."))
    form = TeamForm(request.POST or None, communities=communities)
    if len(communities[:2]) == 1:
        form.fields["community"].initial = communities.first()
    if request.method == "POST" and form.is_valid():
        try:
            created = services.team_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("The team “%(name)s” is created; add its leader on its page.") % {"name": created.name},
            )
            return redirect(created.get_absolute_url())
    code = request.GET.get("community", "")
    chosen = communities.filter(code=code).first() if code else None
    teams = list(selectors.team_list(user=request.user, community=chosen)[:200])
    leaders = selectors.team_leaders([t.pk for t in teams])
    return render(
        request,
        "volunteers/community.html",
        {
            "form": form,
            "teams": [(t, leaders.get(t.pk, [])) for t in teams],
            "communities": list(communities[:100]),
            "chosen": chosen,
        },
    )


@login_required
def export(request: HttpRequest) -> FileResponse:
    """Download approved hours (the service record) of a volunteer, a team or a community as .xlsx."""
    date_from = parse_date(request.GET.get("from", "") or "") if request.GET.get("from") else None
    date_to = parse_date(request.GET.get("to", "") or "") if request.GET.get("to") else None
    kwargs: dict = {}
    if request.GET.get("volunteer"):
        kwargs["volunteer"] = _volunteer(request, request.GET["volunteer"])
    elif request.GET.get("team", "").isdigit():
        kwargs["team"] = _team(request, int(request.GET["team"]))
    elif request.GET.get("community"):
        place = Place.objects.filter(code=request.GET["community"], level=Place.Level.VILLAGE).first()
        if place is None:
            raise Http404(_("No such community."))
        kwargs["community"] = place
    else:
        volunteer = access.volunteer_of(request.user)
        if volunteer is None:
            raise Http404(_("No such volunteer."))
        kwargs["volunteer"] = volunteer
    written = exports.hours_export(user=request.user, date_from=date_from, date_to=date_to, **kwargs)
    return FileResponse(
        written.file, as_attachment=True, filename=written.filename, content_type=exports.CONTENT_TYPE
    )
