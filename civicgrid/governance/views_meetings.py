"""Pages of deliberation meetings (逢五说事): a village's calendar, a meeting with its agenda,
attendance, minutes and decisions, the series' settings, and the decisions of a town or village.

Views parse input and call `services_meetings`, `selectors_meetings` and `presenters_meetings`;
every permission is in `governance.access` (through them). A refusal a view does not catch becomes
the 403/409 page (`core.middleware`).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.accounts.models import Agency, User
from civicgrid.cases import categories
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.governance import access, presenters_meetings, selectors_meetings, services_meetings
from civicgrid.governance.forms_meetings import (
    EFFECT_MOVE,
    EFFECT_OPEN,
    AgendaCaseForm,
    AgendaItemForm,
    AgendaTopicForm,
    AttendanceForm,
    CancelForm,
    DecisionForm,
    DecisionMarkForm,
    MeetingForm,
    OutcomeForm,
    RecordForm,
    SeriesForm,
)
from civicgrid.governance.models import AgendaItem, Attendance, Meeting
from civicgrid.lib import keyset
from civicgrid.places.models import Place

selectors = selectors_meetings
services = services_meetings
presenters = presenters_meetings


def _place(request: HttpRequest, code: str) -> Place:
    place = selectors.place_by_code(code)
    if place is None:
        raise Http404(_("No village or grid has this code."))
    return place


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = selectors.meeting_get(request.user, pk)
    if meeting is None:
        raise Http404(_("No such meeting."))
    return meeting


def _managed_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = _meeting(request, pk)
    access.check_manage_meetings(request.user, meeting.place)
    return meeting


def _detail_url(meeting: Meeting, anchor: str = "") -> str:
    url = reverse("governance:meetings_detail", args=[meeting.pk])
    return f"{url}#{anchor}" if anchor else url


def _month(text: str) -> tuple[int, int] | None:
    """(year, month) of "YYYY-MM", or None."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        date(year, month, 1)
    except ValueError:
        return None
    return (year, month) if 2000 <= year <= 2100 else None


# --- Home and calendars --------------------------------------------------------------------------


@login_required
def meetings_home(request: HttpRequest) -> HttpResponse:
    """Where the viewer's calendars are: straight to the one, or a list of the villages and grids."""
    places = selectors.calendar_places(request.user)
    towns = [p for p in selectors.decision_places(request.user) if p.level == Place.Level.TOWN]
    if len(places) == 1 and not towns:
        return redirect("governance:meetings_calendar", places[0].code)
    return render(request, "governance/meetings/home.html", {"places": places, "towns": towns})


@login_required
def meetings_calendar(request: HttpRequest, code: str) -> HttpResponse:
    """A village's (or grid's) meetings: from today on or before it, a page at a time; or a month."""
    place = _place(request, code)
    if not access.can_view_calendar(request.user, place):
        raise PermissionDenied(_("You may not see the meetings of this place."))
    when = request.GET.get("when") if request.GET.get("when") in ("upcoming", "past") else "upcoming"
    context: dict = {
        "place": place,
        "when": when,
        "sees_all": access.sees_all_meetings(request.user, place),
        "can_manage": access.can_manage_meetings(request.user, place),
    }
    month = _month(request.GET.get("month", ""))
    if month is not None:
        year, number = month
        first = date(year, number, 1)
        context.update(
            month=first,
            weeks=selectors.calendar_month(request.user, place, year, number),
            previous_month=(first.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
            next_month=(first.replace(day=28) + timedelta(days=4)).strftime("%Y-%m"),
        )
    else:
        try:
            page = selectors.calendar_page(
                request.user, place, when=when, cursor=request.GET.get("cursor", "")
            )
        except keyset.InvalidCursor:
            raise Http404(_("This page of results does not exist.")) from None
        context.update(
            page=page,
            pager={"next_cursor": page.next_cursor, "is_first": not request.GET.get("cursor")},
            this_month=timezone.localdate().strftime("%Y-%m"),
            now_moment=timezone.now(),
        )
    return render(request, "governance/meetings/calendar.html", context)


# --- Series --------------------------------------------------------------------------------------


@login_required
def meetings_series(request: HttpRequest, code: str) -> HttpResponse:
    """The recurring meetings of a village (and its grids) or a grid."""
    place = _place(request, code)
    if not access.sees_all_meetings(request.user, place):
        raise PermissionDenied(_("You may not see the meetings of this place."))
    return render(
        request,
        "governance/meetings/series.html",
        {
            "place": place,
            "series": selectors.series_of(place),
            "can_manage": access.can_manage_meetings(request.user, place),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meetings_series_new(request: HttpRequest, code: str) -> HttpResponse:
    place = _place(request, code)
    access.check_manage_meetings(request.user, place)
    form = SeriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.series_create(actor=request.user, place=place, **form.values())
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The meeting series is saved and its meetings are planned."))
            return redirect("governance:meetings_calendar", place.code)
    return render(
        request, "governance/meetings/series_form.html", {"form": form, "place": place, "series": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def meetings_series_edit(request: HttpRequest, pk: int) -> HttpResponse:
    series = selectors.series_get(request.user, pk)
    if series is None:
        raise Http404(_("No such meeting series."))
    access.check_manage_meetings(request.user, series.place)
    form = SeriesForm(request.POST or None, initial=SeriesForm.initial_of(series))
    if request.method == "POST" and form.is_valid():
        try:
            services.series_update(actor=request.user, series=series, **form.values())
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The meeting series is saved and its meetings are planned again."))
            return redirect("governance:meetings_series", series.place.code)
    return render(
        request,
        "governance/meetings/series_form.html",
        {"form": form, "place": series.place, "series": series},
    )


# --- One meeting ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def meetings_new(request: HttpRequest, code: str) -> HttpResponse:
    """Add a one-off meeting."""
    place = _place(request, code)
    access.check_manage_meetings(request.user, place)
    form = MeetingForm(request.POST or None, initial={"day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_create(
                actor=request.user,
                place=place,
                title=data["title"],
                starts_at=form.starts_at(),
                venue=data["venue"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The meeting is added."))
            return redirect(_detail_url(meeting))
    return render(request, "governance/meetings/meeting_form.html", {"form": form, "place": place})


def _manager_forms(meeting: Meeting, bound: dict) -> dict:
    """The forms of the meeting page for its managers (`bound`: one that failed, by name)."""
    forms = {
        "case_form": lambda: AgendaCaseForm(prefix="case", cases=selectors.agenda_case_choices(meeting)),
        "topic_form": lambda: AgendaTopicForm(prefix="topic", topics=selectors.agenda_topic_choices(meeting)),
        "item_form": lambda: AgendaItemForm(prefix="item"),
        "attendance_form": lambda: AttendanceForm(
            prefix="att",
            users=selectors.attendee_choices(meeting),
            agencies=selectors.meeting_agencies(meeting),
        ),
        "cancel_form": lambda: CancelForm(prefix="cancel", initial={"version": meeting.version}),
    }
    return {name: bound.get(name) or make() for name, make in forms.items()}


def _render_detail(request: HttpRequest, meeting: Meeting, *, status: int = 200, **bound) -> HttpResponse:
    view = presenters.meeting_view(
        request.user,
        meeting,
        agenda=selectors.agenda_of(meeting),
        attendance=selectors.attendance_of(meeting),
        decisions=selectors.decisions_of(meeting),
    )
    context: dict = {"view": view, "meeting": meeting}
    if "edit" in view.actions:
        context.update(_manager_forms(meeting, bound))
    return render(request, "governance/meetings/detail.html", context, status=status)


@login_required
def meetings_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _meeting(request, pk))


@login_required
@require_POST
def meetings_agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a case, a forum topic or a cadre's item on the agenda (`kind`: case, topic, item)."""
    meeting = _managed_meeting(request, pk)
    kind = request.POST.get("kind")
    if kind == "case":
        form = AgendaCaseForm(request.POST, prefix="case", cases=selectors.agenda_case_choices(meeting))
        name = "case_form"
    elif kind == "topic":
        form = AgendaTopicForm(request.POST, prefix="topic", topics=selectors.agenda_topic_choices(meeting))
        name = "topic_form"
    else:
        form = AgendaItemForm(request.POST, prefix="item")
        name = "item_form"
    if form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "case":
                case = selectors.agenda_cases(meeting).filter(pk=data["case"]).first()
                if case is None:
                    raise ApplicationError(
                        _("Choose a case from the list."),
                        extra={"fields": {"case": _("Choose a case from the list.")}},
                    )
                services.agenda_add_case(actor=request.user, meeting=meeting, case=case, note=data["note"])
            elif kind == "topic":
                topic = selectors.agenda_topics(meeting).filter(pk=data["topic"]).first()
                if topic is None:
                    raise ApplicationError(
                        _("Choose a topic from the list."),
                        extra={"fields": {"topic": _("Choose a topic from the list.")}},
                    )
                services.agenda_add_topic(actor=request.user, meeting=meeting, topic=topic, note=data["note"])
            else:
                services.agenda_add_item(
                    actor=request.user, meeting=meeting, title=data["title"], note=data["note"]
                )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Added to the agenda."))
            return redirect(_detail_url(meeting, "agenda"))
    return _render_detail(request, meeting, status=400, **{name: form})


@login_required
@require_POST
def meetings_agenda_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Change one agenda item (`op`): up, down, remove, or outcome (what the meeting said)."""
    meeting = _managed_meeting(request, pk)
    item = AgendaItem.objects.filter(pk=item_pk, meeting=meeting).select_related("meeting__place").first()
    if item is None:
        raise Http404(_("No such agenda item."))
    op = request.POST.get("op")
    try:
        if op in ("up", "down"):
            services.agenda_move(actor=request.user, item=item, step=-1 if op == "up" else 1)
        elif op == "remove":
            services.agenda_remove(actor=request.user, item=item)
            messages.success(request, _("Taken off the agenda."))
        elif op == "outcome":
            form = OutcomeForm(request.POST)
            if form.is_valid():
                services.agenda_outcome(actor=request.user, item=item, outcome=form.cleaned_data["outcome"])
                messages.success(request, _("The outcome is saved."))
        else:
            raise Http404(_("No such change."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(_detail_url(meeting, f"item-{item.pk}" if op != "remove" else "agenda"))


@login_required
@require_POST
def meetings_attendance_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = AttendanceForm(
        request.POST,
        prefix="att",
        users=selectors.attendee_choices(meeting),
        agencies=selectors.meeting_agencies(meeting),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.attendance_add(
                actor=request.user,
                meeting=meeting,
                kind=data["kind"],
                user=User.objects.filter(pk=data["user"]).first() if data["user"] else None,
                agency=Agency.objects.filter(pk=data["agency"]).first() if data["agency"] else None,
                name=data["name"],
                organisation=data["organisation"],
                present=data["present"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Added to the attendance."))
            return redirect(_detail_url(meeting, "attendance"))
    return _render_detail(request, meeting, status=400, attendance_form=form)


@login_required
@require_POST
def meetings_attendance_remove(request: HttpRequest, pk: int, row_pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    row = Attendance.objects.filter(pk=row_pk, meeting=meeting).first()
    if row is None:
        raise Http404(_("No such attendee."))
    row.meeting = meeting
    try:
        services.attendance_remove(actor=request.user, attendance=row)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(_detail_url(meeting, "attendance"))


@login_required
@require_http_methods(["GET", "POST"])
def meetings_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the meeting as held: its minutes and when it was held."""
    meeting = _managed_meeting(request, pk)
    initial = {
        "minutes": meeting.minutes,
        "held_at": timezone.localtime(meeting.held_at or min(meeting.starts_at, timezone.now())),
        "version": meeting.version,
    }
    form = RecordForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.meeting_record(
                actor=request.user,
                meeting=meeting,
                minutes=data["minutes"],
                held_at=data["held_at"],
                version=data["version"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The meeting is recorded as held."))
            return redirect(_detail_url(meeting))
    return render(request, "governance/meetings/record.html", {"form": form, "meeting": meeting})


@login_required
@require_POST
def meetings_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = CancelForm(request.POST, prefix="cancel")
    if form.is_valid():
        try:
            services.meeting_cancel(
                actor=request.user,
                meeting=meeting,
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The meeting is cancelled."))
            return redirect(_detail_url(meeting))
    return _render_detail(request, meeting, status=400, cancel_form=form)


@login_required
@require_POST
def meetings_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the agenda and decisions to the village's residents (`publish` 1), or withdraw them (0)."""
    meeting = _managed_meeting(request, pk)
    published = request.POST.get("publish") == "1"
    try:
        services.meeting_publish(actor=request.user, meeting=meeting, published=published)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Residents of the village now see its agenda and decisions.")
            if published
            else _("Residents no longer see this meeting."),
        )
    return redirect(_detail_url(meeting))


# --- Decisions -----------------------------------------------------------------------------------


def _decision_form(request: HttpRequest, meeting: Meeting, data=None) -> DecisionForm:
    agenda = selectors.agenda_of(meeting)
    return DecisionForm(
        data,
        initial={"due_on": timezone.localdate() + timedelta(days=15)},
        users=selectors.attendee_choices(meeting),
        agencies=selectors.meeting_agencies(meeting),
        items=agenda,
        category_groups=categories.groups(),
        grids=selectors.case_grids(meeting),
        moves=selectors.agenda_moves(request.user, agenda),
    )


@login_required
@require_http_methods(["GET", "POST"])
def meetings_decision_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a decision: who, by when, and whether it opens a case or moves one on."""
    meeting = _managed_meeting(request, pk)
    form = _decision_form(request, meeting, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = services.Owner(
            user=User.objects.filter(pk=data["owner_user"]).first() if data["owner_user"] else None,
            agency=Agency.objects.filter(pk=data["owner_agency"]).first() if data["owner_agency"] else None,
            name=data["owner_name"],
        )
        item = (
            AgendaItem.objects.filter(pk=data["agenda_item"], meeting=meeting).first()
            if data["agenda_item"]
            else None
        )
        common = {
            "actor": request.user,
            "meeting": meeting,
            "text": data["text"],
            "due_on": data["due_on"],
            "owner": owner,
            "agenda_item": item,
        }
        try:
            if data["effect"] == EFFECT_OPEN:
                grid = Place.objects.filter(pk=data["grid"]).first() if data["grid"] else None
                services.decision_open_case(**common, category=data["category"], grid=grid)
            elif data["effect"] == EFFECT_MOVE:
                case, action = form.moves[data["move"]]
                services.decision_move_case(**common, case=case, action=action)
            else:
                services.decision_create(**common)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The decision is recorded."))
            return redirect(_detail_url(meeting, "decisions"))
    return render(
        request,
        "governance/meetings/decision_form.html",
        {"form": form, "meeting": meeting},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def meetings_decision_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a decision done or dropped."""
    decision = selectors.decision_get(request.user, pk)
    if decision is None:
        raise Http404(_("No such decision."))
    if not access.can_update_decision(request.user, decision):
        raise PermissionDenied(_("You may not update this decision."))
    form = DecisionMarkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decision_mark(
                actor=request.user,
                decision=decision,
                state=form.cleaned_data["state"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The decision is marked."))
            back = request.POST.get("next", "")
            if back.startswith("/governance/") and not back.startswith("//"):
                return redirect(back)
            return redirect(_detail_url(decision.meeting, "decisions"))
    row = presenters.decision_row(
        request.user,
        decision,
        sees_all=access.sees_all_meetings(request.user, decision.meeting.place),
        today=timezone.localdate(),
    )
    return render(
        request,
        "governance/meetings/decision_mark.html",
        {
            "form": form,
            "decision": row,
            "meeting": decision.meeting,
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=400 if form.errors else 200,
    )


@login_required
def meetings_decisions(request: HttpRequest, code: str) -> HttpResponse:
    """The decisions of a town, village or grid by due day: to do, overdue, done, dropped, all."""
    place = selectors.decision_place_by_code(code)
    if place is None:
        raise Http404(_("No town, village or grid has this code."))
    if not access.can_view_decisions(request.user, place):
        raise PermissionDenied(_("You may not see the decisions of this place."))
    show = request.GET.get("show") if request.GET.get("show") in selectors.DECISION_FILTERS else "open"
    try:
        page = selectors.decisions_page(request.user, place, show=show, cursor=request.GET.get("cursor", ""))
    except keyset.InvalidCursor:
        raise Http404(_("This page of results does not exist.")) from None
    sees_all = access.sees_all_meetings(request.user, place)
    return render(
        request,
        "governance/meetings/decisions.html",
        {
            "place": place,
            "show": show,
            "rows": presenters.decision_rows(request.user, page.items, sees_all=sees_all),
            "pager": {"next_cursor": page.next_cursor, "is_first": not request.GET.get("cursor")},
            "sees_all": sees_all,
            "filters": [
                ("open", _("To do")),
                ("overdue", _("Overdue")),
                ("done", _("Done")),
                ("dropped", _("Dropped")),
                ("all", _("All")),
            ],
        },
    )
