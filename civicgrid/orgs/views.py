"""Pages of the organisation network: the tree with search, an organisation, its posts and people,
moves, the printable overview and the Excel export.

Views parse input and call services, selectors and presenters; access decisions are in `access`
(through them); a refusal the view does not catch becomes the 403/400 page (`core.middleware`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.core.errors import ApplicationError
from civicgrid.orgs import access, checklists, coverage, exports, presenters, selectors, services
from civicgrid.orgs.forms import (
    AppointForm,
    EndTermForm,
    LinkLoginForm,
    MoveForm,
    OrgForm,
    PersonForm,
    TreeSearchForm,
)
from civicgrid.orgs.models import Organisation, Person, Position


def _org(request: HttpRequest, pk: int) -> Organisation:
    org = selectors.org_get(request.user, pk)
    if org is None:
        raise Http404(_("No such organisation."))
    return org


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    """The network from where the viewer stands, one level open; a search lists matches with their chain."""
    if not access.can_use(request.user):
        raise access.refuse()
    form = TreeSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    context: dict = {"form": form, "searching": bool(data.get("q") or data.get("kind"))}
    if context["searching"]:
        try:
            page = selectors.search(
                request.user,
                data.get("q", ""),
                kind=data.get("kind", ""),
                cursor=request.GET.get("after", ""),
            )
        except ValueError:
            raise Http404(_("This page of results does not exist.")) from None
        chains = selectors.ancestor_names(page.items)
        context.update(page=page, results=[(o, chains.get(o.pk, [])) for o in page.items])
    else:
        tops = selectors.tops(request.user)
        context["tops"] = [(top, selectors.children(request.user, top)) for top in tops]
    context["can_add_root"] = access.can_create_root(request.user)
    return render(request, "orgs/tree.html", context)


@login_required
def children(request: HttpRequest, pk: int) -> HttpResponse:
    """The next level below an organisation (htmx fills an opened branch of the tree with it)."""
    org = _org(request, pk)
    try:
        page = selectors.children(request.user, org, cursor=request.GET.get("after", ""))
    except ValueError:
        raise Http404(_("This page of results does not exist.")) from None
    return render(request, "orgs/_children.html", {"org": org, "page": page})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    view = presenters.org_view(request.user, org)
    subtree = selectors.children(request.user, org, size=20)
    teams = list(org.teams.select_related("community").order_by("name"))
    return render(
        request,
        "orgs/detail.html",
        {
            "view": view,
            "org": org,
            "subtree": subtree,
            "teams": teams,
            "activities": selectors.coming_activities(teams),
            "checklist": checklists.checklist_for(request.user, org),
            "coverage": coverage.covered_by(request.user, org),
            "team_choices": selectors.team_choices(org) if view.can_manage else [],
        },
    )


@login_required
@require_POST
def org_teams(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    ids = [int(v) for v in request.POST.getlist("team") if v.isdigit()]
    try:
        services.teams_link(actor=request.user, organisation=org, team_ids=ids)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The volunteer teams are saved."))
    return redirect(org.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def org_new(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add an organisation below `pk` (or at the top, for an administrator)."""
    parent = _org(request, pk) if pk is not None else None
    if parent is not None:
        access.check_manage(request.user, parent)
    elif not access.can_create_root(request.user):
        raise access.refuse()
    initial = {"status": Organisation.Status.ACTIVE, "founded_on": timezone.localdate()}
    form = OrgForm(request.POST or None, initial=initial, within=parent.region if parent else None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.org_create(actor=request.user, parent=parent, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The organisation is added, with its set-up checklist."))
            return redirect(org.get_absolute_url())
    return render(request, "orgs/org_form.html", {"form": form, "parent": parent, "org": None})


@login_required
@require_http_methods(["GET", "POST"])
def org_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    access.check_manage(request.user, org)
    parent = Organisation.objects.get_parent(org)
    initial = {f: getattr(org, f) for f in services.ORG_FIELDS}
    form = OrgForm(request.POST or None, initial=initial, within=parent.region if parent else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.org_update(actor=request.user, org=org, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The organisation is saved."))
            return redirect(org.get_absolute_url())
    return render(request, "orgs/org_form.html", {"form": form, "parent": parent, "org": org})


@login_required
@require_http_methods(["GET", "POST"])
def org_move(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    access.check_manage(request.user, org)
    text = (request.GET.get("q") or "").strip()[:50]
    form = MoveForm(request.POST or None, candidates=selectors.move_candidates(request.user, org, text))
    if request.method == "POST" and form.is_valid():
        target = Organisation.objects.filter(pk=form.cleaned_data["parent"]).first()
        try:
            if target is None:
                raise Http404(_("No such organisation."))
            services.org_move(actor=request.user, org=org, new_parent=target)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Moved, with everything below it."))
            return redirect(org.get_absolute_url())
    return render(request, "orgs/move.html", {"form": form, "org": org})


@login_required
@require_http_methods(["GET", "POST"])
def position_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Appoint someone (on record, or new) to a post in the organisation."""
    org = _org(request, pk)
    access.check_manage(request.user, org)
    people = selectors.people_search(request.user, request.GET.get("who", ""), limit=200)
    form = AppointForm(request.POST or None, people=people, initial={"term_start": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("person"):
                person = Person.objects.filter(pk=data["person"]).first()
                if person is None:
                    raise ApplicationError(
                        _("Choose someone from the list."),
                        extra={"fields": {"person": _("Choose someone from the list.")}},
                    )
            else:
                person = services.person_create(
                    actor=request.user,
                    organisation=org,
                    name=data["name"],
                    phone=data["phone"],
                    id_number=data["id_number"],
                )
            services.position_appoint(
                actor=request.user,
                person=person,
                organisation=org,
                role=data["role"],
                term_start=data["term_start"],
                term_end=data["term_end"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("%(name)s is appointed.") % {"name": person.name})
            return redirect(org.get_absolute_url())
    return render(request, "orgs/appoint.html", {"form": form, "org": org})


@login_required
@require_http_methods(["GET", "POST"])
def position_end(request: HttpRequest, pk: int) -> HttpResponse:
    position = Position.objects.select_related("organisation__region", "person").filter(pk=pk).first()
    if position is None:
        raise Http404(_("No such post."))
    org = position.organisation
    access.check_manage(request.user, org)
    form = EndTermForm(request.POST or None, initial={"term_end": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.position_end(actor=request.user, position=position, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The term is ended; it stays on record."))
            return redirect(org.get_absolute_url())
    return render(request, "orgs/end_term.html", {"form": form, "position": position, "org": org})


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.person_get(request.user, pk)
    if found is None:
        raise Http404(_("No such person."))
    who, posts = found
    full = access.can_see_person(request.user, posts)
    today = timezone.localdate()
    return render(
        request,
        "orgs/person.html",
        {
            "person": presenters.person_view(request.user, who, full=full),
            "current": [
                p for p in posts if p.term_start <= today and (p.term_end is None or p.term_end > today)
            ],
            "past": [
                p for p in posts if not (p.term_start <= today and (p.term_end is None or p.term_end > today))
            ],
            "can_edit": full,
            "link_form": LinkLoginForm(initial={"username": who.user.username if who.user else ""})
            if access.can_create_root(request.user)
            else None,
            "login": who.user,
        },
    )


@login_required
@require_POST
def person_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a person to their login (administrators): with the cadre role, their offices become their scope."""
    from civicgrid.accounts.selectors import user_for_login

    who = Person.objects.filter(pk=pk).first()
    if who is None:
        raise Http404(_("No such person."))
    form = LinkLoginForm(request.POST)
    if form.is_valid():
        text = form.cleaned_data["username"].strip()
        user = user_for_login(text) if text else None
        if text and user is None:
            messages.error(request, _("No login is called “%(name)s”.") % {"name": text})
        else:
            try:
                services.person_link_user(actor=request.user, person=who, user=user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved."))
    return redirect("orgs:person", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.person_get(request.user, pk)
    if found is None:
        raise Http404(_("No such person."))
    who, posts = found
    if not access.can_see_person(request.user, posts):
        raise access.refuse()
    form = PersonForm(request.POST or None, initial={"name": who.name, "phone": who.phone, "note": who.note})
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=request.user, person=who, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("orgs:person", pk=who.pk)
    return render(request, "orgs/person_form.html", {"form": form, "person": who})


@login_required
def cross(request: HttpRequest) -> HttpResponse:
    """People who hold posts in more than one organisation (交叉任职)."""
    if not access.can_use(request.user):
        raise access.refuse()
    text = (request.GET.get("q") or "").strip()[:50]
    rows = selectors.cross_appointments(request.user, text=text)
    shown = [
        (presenters.person_view(request.user, p, full=access.can_see_person(request.user, posts)), posts)
        for p, posts in rows
    ]
    return render(request, "orgs/cross.html", {"rows": shown, "q": text})


@login_required
def overview(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable overview of an organisation's network: counts by kind, the federations and their chairs."""
    org = _org(request, pk)
    return render(request, "orgs/overview.html", exports.overview(request.user, org))


@login_required
def export(request: HttpRequest, pk: int) -> HttpResponse:
    """The organisation's subtree as an Excel workbook (contacts masked unless the viewer manages it)."""
    org = _org(request, pk)
    return exports.subtree_workbook(request.user, org)
