"""Points pages: my points, rewards and redeeming, my redemptions, leaderboards (public), the provider's
page, and the community office's pages. Views parse input and call services and selectors; every
decision of who may is in `access`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.places.models import Place
from civicgrid.points import access, exports, forms, periods, presenters, selectors, services
from civicgrid.points.models import (
    ALL_TEAMS,
    Award,
    Entry,
    Household,
    Objection,
    Publication,
    Redemption,
    Reward,
    Slot,
)


def forbidden(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(
        request,
        "403.html",
        {"message": message or _("You do not have permission to do this here.")},
        status=403,
    )


def _form_error(form, exc: ApplicationError) -> None:
    """Put a service's refusal next to its fields (or above the form)."""
    fields = (exc.extra or {}).get("fields") or {}
    placed = False
    for name, message in fields.items():
        if name in form.fields:
            form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


# ---------------------------------------------------------------------------------------------
# A person's pages


@login_required
@never_cache
def mine(request: HttpRequest) -> HttpResponse:
    """My balance, my household and my entries (newest first, keyset-paged), each in words."""
    page = selectors.entries_page(request.user, cursor=request.GET.get("after", ""))
    return render(
        request,
        "points/mine.html",
        {
            "balance": selectors.balance(request.user),
            "household": selectors.household_of(request.user),
            "provider": access.is_provider(request.user),
            "entries": [presenters.entry_view(e) for e in page.items],
            "next_cursor": page.next_cursor,
        },
    )


def rewards(request: HttpRequest) -> HttpResponse:
    """The reward catalogue (public), optionally of one community."""
    community, _chosen = selectors.community_asked(request.GET.get("community", ""), request.user)
    items = [presenters.reward_view(r) for r in selectors.catalogue(community=community)[:200]]
    return render(
        request,
        "points/rewards.html",
        {
            "rewards": items,
            "community": community,
            "home": selectors.home_community(request.user),
            "balance": selectors.balance(request.user) if request.user.is_authenticated else None,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def reward(request: HttpRequest, pk: int) -> HttpResponse:
    """A reward and its redeem form (a service: pick a time). A retried POST carries the same key."""
    item = get_object_or_404(Reward.objects.select_related("community"), pk=pk, is_active=True)
    slots = selectors.open_slots(item) if item.kind == Reward.Kind.SERVICE else []
    form = forms.RedeemForm(initial={"key": forms.new_key()}, slots=slots)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        form = forms.RedeemForm(request.POST, slots=slots)
        if form.is_valid():
            slot = None
            if form.cleaned_data.get("slot"):
                slot = Slot.objects.filter(pk=form.cleaned_data["slot"], reward=item).first()
            try:
                services.reward_redeem(
                    user=request.user, reward=item, key=form.cleaned_data["key"], slot=slot
                )
            except PermissionDenied as exc:
                return forbidden(request, exc.message)
            except ApplicationError as exc:
                _form_error(form, exc)
                # A refused key may be sent again once the person fixes the choice.
            else:
                messages.success(
                    request, _("Redeemed: “%(name)s”. It is in your redemptions.") % {"name": item.name}
                )
                return redirect("points:redemptions")
    return render(
        request,
        "points/reward.html",
        {
            "reward": presenters.reward_view(item, slots if item.kind == Reward.Kind.SERVICE else None),
            "form": form,
            "balance": selectors.balance(request.user) if request.user.is_authenticated else None,
        },
    )


@login_required
@never_cache
def redemptions(request: HttpRequest) -> HttpResponse:
    items = [presenters.redemption_view(r, request.user) for r in selectors.redemptions_of(request.user)]
    return render(request, "points/redemptions.html", {"redemptions": items})


def _redemption(pk: int) -> Redemption:
    return get_object_or_404(Redemption.objects.select_related("reward", "reward__community", "slot"), pk=pk)


@login_required
@require_POST
def redemption_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    redemption = _redemption(pk)
    try:
        services.redemption_cancel(actor=request.user, redemption=redemption)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Cancelled: your points are returned."))
    return redirect("points:provider" if request.POST.get("from") == "provider" else "points:redemptions")


@login_required
@require_POST
def redemption_fulfil(request: HttpRequest, pk: int) -> HttpResponse:
    redemption = _redemption(pk)
    try:
        services.redemption_fulfil(actor=request.user, redemption=redemption)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Confirmed as delivered."))
    return redirect("points:provider")


@login_required
@never_cache
def provider(request: HttpRequest) -> HttpResponse:
    """The bookings of the rewards this person provides, soonest first, to confirm once delivered."""
    reward_ids = list(access.provided_rewards(request.user).values_list("pk", flat=True))
    if not reward_ids:
        return forbidden(request, _("You provide no rewards."))
    items = [
        presenters.redemption_view(r, request.user)
        for r in selectors.redemptions_to_fulfil(reward_ids=reward_ids)
    ]
    return render(request, "points/provider.html", {"redemptions": items})


# ---------------------------------------------------------------------------------------------
# Leaderboards (public)


def leaderboards(request: HttpRequest) -> HttpResponse:
    community, _chosen = selectors.community_asked(request.GET.get("community", ""), request.user)
    items = presenters.publication_views(selectors.publications(community=community, limit=100))
    return render(
        request,
        "points/leaderboards.html",
        {"publications": items, "community": community, "home": selectors.home_community(request.user)},
    )


@require_http_methods(["GET", "POST"])
def leaderboard(request: HttpRequest, pk: int) -> HttpResponse:
    """A published leaderboard (names as the community chose), and the objection form during its notice."""
    publication = get_object_or_404(Publication.objects.select_related("community"), pk=pk)
    form = forms.ObjectionForm()
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        form = forms.ObjectionForm(request.POST)
        if form.is_valid():
            try:
                services.objection_raise(
                    user=request.user, publication=publication, text=form.cleaned_data["text"]
                )
            except PermissionDenied as exc:
                return forbidden(request, exc.message)
            except ApplicationError as exc:
                _form_error(form, exc)
            else:
                messages.success(
                    request, _("Your objection is sent to the community office, which will answer it.")
                )
                return redirect("points:leaderboard", pk=pk)
    mine = []
    if request.user.is_authenticated:
        mine = list(Objection.objects.filter(publication=publication, user=request.user).order_by("id"))
    return render(
        request,
        "points/leaderboard.html",
        {"publication": presenters.publication_view(publication), "form": form, "my_objections": mine},
    )


# ---------------------------------------------------------------------------------------------
# The community office


def _office_community(request: HttpRequest, pk: int) -> Place:
    community = get_object_or_404(Place, pk=pk, level=Place.Level.VILLAGE)
    if not access.can_manage(request.user, community):
        raise PermissionDenied(_("You do not run this community's points."))
    return community


def office_view(fn):
    """Sign-in required; the community in the URL must be one the user runs (403 otherwise)."""

    @login_required
    @never_cache
    def wrapped(request: HttpRequest, community_id: int, *args, **kwargs) -> HttpResponse:
        try:
            community = _office_community(request, community_id)
        except PermissionDenied as exc:
            return forbidden(request, exc.message)
        return fn(request, community, *args, **kwargs)

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


@login_required
@never_cache
def office(request: HttpRequest) -> HttpResponse:
    """The communities whose points this person runs, with what waits for them."""
    if not access.is_office(request.user):
        return forbidden(
            request, _("The points office is for the community's cadres and the staff above them.")
        )
    communities = list(access.communities(request.user).order_by("code")[:200])
    pending = dict(
        Award.objects.filter(community__in=communities, state=Award.State.PENDING)
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    )
    unanswered = dict(
        Objection.objects.filter(publication__community__in=communities, answered_at__isnull=True)
        .values("publication__community_id")
        .annotate(n=Count("id"))
        .values_list("publication__community_id", "n")
    )
    rows = [(c, pending.get(c.pk, 0), unanswered.get(c.pk, 0)) for c in communities]
    return render(request, "points/office.html", {"communities": rows})


@office_view
@require_http_methods(["GET", "POST"])
def office_rules(request: HttpRequest, community: Place) -> HttpResponse:
    # The next version starts from the one in force (the community's own, else the default).
    current = selectors.rule_in_force(community_id=community.pk, day=_today())
    form = forms.RulesForm(initial=current.as_initial() if current else None)
    if request.method == "POST":
        form = forms.RulesForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rule = services.rules_create(
                    actor=request.user,
                    community=community,
                    valid_from=data["valid_from"],
                    hourly=form.hourly(),
                    hourly_default=data["hourly_default"],
                    per_activity=data["per_activity"],
                    report_resident=data["report_resident"],
                    report_mobile=data["report_mobile"],
                    expires_after_months=data["expires_after_months"],
                    note=data["note"],
                )
            except ApplicationError as exc:
                _form_error(form, exc)
            else:
                messages.success(
                    request, _("Version %(version)s of the rules is saved.") % {"version": rule.version}
                )
                return redirect("points:office_rules", community_id=community.pk)
    versions = list(selectors.rule_versions(community=community)[:50])
    default = selectors.rule_versions(community=None).first()
    return render(
        request,
        "points/office_rules.html",
        {"community": community, "versions": versions, "default": default, "form": form},
    )


@office_view
@require_http_methods(["GET", "POST"])
def office_rewards(request: HttpRequest, community: Place) -> HttpResponse:
    form, stock_form, slot_form = forms.RewardForm(), forms.StockForm(), forms.SlotForm()
    if request.method == "POST":
        action = request.POST.get("action")
        target = None
        if request.POST.get("reward", "").isdigit():
            target = Reward.objects.filter(pk=int(request.POST["reward"]), community=community).first()
        try:
            if action == "create":
                form = forms.RewardForm(request.POST)
                if form.is_valid():
                    data = form.cleaned_data
                    services.reward_create(
                        actor=request.user,
                        community=community,
                        kind=data["kind"],
                        name=data["name"],
                        description=data["description"],
                        cost=data["cost"],
                        stock=data["stock"] or 0,
                        providers=data["providers"],
                    )
                    messages.success(request, _("The reward is offered."))
                    return redirect("points:office_rewards", community_id=community.pk)
            elif action == "stock" and target is not None:
                stock_form = forms.StockForm(request.POST)
                if stock_form.is_valid():
                    services.reward_update(
                        actor=request.user, reward=target, add_stock=stock_form.cleaned_data["add_stock"]
                    )
                    messages.success(request, _("Stock updated."))
                    return redirect("points:office_rewards", community_id=community.pk)
            elif action == "slot" and target is not None:
                slot_form = forms.SlotForm(request.POST)
                if slot_form.is_valid():
                    services.slot_add(actor=request.user, reward=target, **slot_form.cleaned_data)
                    messages.success(request, _("Slot added."))
                    return redirect("points:office_rewards", community_id=community.pk)
            elif action in ("withdraw", "offer") and target is not None:
                services.reward_update(actor=request.user, reward=target, is_active=action == "offer")
                messages.success(request, _("Reward updated."))
                return redirect("points:office_rewards", community_id=community.pk)
        except ApplicationError as exc:
            bound = {"create": form, "stock": stock_form, "slot": slot_form}.get(action, form)
            if bound.is_bound:
                _form_error(bound, exc)
            else:
                messages.error(request, exc.message)
    items = list(
        Reward.objects.filter(community=community)
        .prefetch_related("providers")
        .order_by("-is_active", "name")[:200]
    )
    slots = {}
    for slot in Slot.objects.filter(reward__in=items).order_by("starts_at")[:500]:
        slots.setdefault(slot.reward_id, []).append(slot)
    return render(
        request,
        "points/office_rewards.html",
        {
            "community": community,
            "rewards": [(r, slots.get(r.pk, [])) for r in items],
            "form": form,
            "stock_form": stock_form,
            "slot_form": slot_form,
        },
    )


@office_view
@require_http_methods(["GET", "POST"])
def office_awards(request: HttpRequest, community: Place) -> HttpResponse:
    """Request manual awards and deductions; approve or reject the others' requests."""
    form = forms.AwardForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "request":
            form = forms.AwardForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    services.award_request(
                        actor=request.user,
                        community=community,
                        user=data["person"],
                        kind=data["kind"],
                        points=data["points"],
                        reason=data["reason"],
                    )
                except ApplicationError as exc:
                    _form_error(form, exc)
                else:
                    messages.success(
                        request, _("Request recorded: another member of the office approves it.")
                    )
                    return redirect("points:office_awards", community_id=community.pk)
        elif action in ("approve", "reject") and request.POST.get("award", "").isdigit():
            award = get_object_or_404(Award, pk=int(request.POST["award"]), community=community)
            try:
                services.award_decide(actor=request.user, award=award, approve=action == "approve")
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Approved.") if action == "approve" else _("Rejected."))
            return redirect("points:office_awards", community_id=community.pk)
    communities = Place.objects.filter(pk=community.pk)
    return render(
        request,
        "points/office_awards.html",
        {
            "community": community,
            "form": form,
            "pending": selectors.awards_of(communities=communities, state=Award.State.PENDING),
            "decided": [
                a for a in selectors.awards_of(communities=communities, limit=50) if a.state != "pending"
            ],
        },
    )


@office_view
@require_http_methods(["GET", "POST"])
def office_leaderboard(request: HttpRequest, community: Place) -> HttpResponse:
    """The live leaderboard of a period (full names, for the office), publishing it, and objections."""
    teams = selectors.teams_of(community)
    form = forms.PublishForm(initial={"period": periods.of("month", _today()).name}, teams=teams)
    answer_form = forms.AnswerForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "publish":
            form = forms.PublishForm(request.POST, teams=teams)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    publication = services.leaderboard_publish(
                        actor=request.user,
                        community=community,
                        period=periods.parse(data["period"]),
                        names=data["names"],
                        notice_days=data["notice_days"],
                        team_id=int(data["team_id"] or ALL_TEAMS),
                    )
                except ApplicationError as exc:
                    _form_error(form, exc)
                else:
                    messages.success(
                        request, _("Published: objections are taken until the notice period ends.")
                    )
                    return redirect("points:leaderboard", pk=publication.pk)
        elif action == "answer" and request.POST.get("objection", "").isdigit():
            objection = get_object_or_404(
                Objection, pk=int(request.POST["objection"]), publication__community=community
            )
            answer_form = forms.AnswerForm(request.POST)
            if answer_form.is_valid():
                try:
                    services.objection_answer(
                        actor=request.user, objection=objection, answer=answer_form.cleaned_data["answer"]
                    )
                except ApplicationError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, _("Answer sent."))
                return redirect("points:office_leaderboard", community_id=community.pk)
    period_error = ""
    try:
        period = periods.parse(request.GET.get("period") or periods.of("month", _today()).name)
    except ApplicationError as exc:
        period, period_error = periods.of("month", _today()), exc.message
    team = int(request.GET["team"]) if request.GET.get("team", "").isdigit() else ALL_TEAMS
    communities = Place.objects.filter(pk=community.pk)
    return render(
        request,
        "points/office_leaderboard.html",
        {
            "community": community,
            "period": period,
            "period_error": period_error,
            "team": team,
            "standings": selectors.leaderboard(community_id=community.pk, period=period, team_id=team),
            "form": form,
            "answer_form": answer_form,
            "publications": presenters.publication_views(
                selectors.publications(community=community, limit=20)
            ),
            "teams": selectors.teams_of(community),
            "objections": selectors.objections_of(communities=communities),
        },
    )


def _today():
    return timezone.localdate()


@office_view
@require_http_methods(["GET", "POST"])
def office_households(request: HttpRequest, community: Place) -> HttpResponse:
    form, member_form = forms.HouseholdForm(), forms.MemberForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create":
                form = forms.HouseholdForm(request.POST)
                if form.is_valid():
                    services.household_create(
                        actor=request.user, community=community, name=form.cleaned_data["name"]
                    )
                    messages.success(request, _("Household added."))
                    return redirect("points:office_households", community_id=community.pk)
            elif action == "member" and request.POST.get("household", "").isdigit():
                household = get_object_or_404(
                    Household, pk=int(request.POST["household"]), community=community
                )
                member_form = forms.MemberForm(request.POST)
                if member_form.is_valid():
                    services.household_add(
                        actor=request.user, household=household, user=member_form.cleaned_data["person"]
                    )
                    messages.success(request, _("Member added."))
                    return redirect("points:office_households", community_id=community.pk)
        except ApplicationError as exc:
            bound = form if action == "create" else member_form
            _form_error(bound, exc)
    return render(
        request,
        "points/office_households.html",
        {
            "community": community,
            "households": selectors.households_of(community=community),
            "form": form,
            "member_form": member_form,
        },
    )


@office_view
@require_http_methods(["GET", "POST"])
def office_ledger(request: HttpRequest, community: Place) -> HttpResponse:
    """The community's entries, newest first, each reversible once with a reason."""
    form = forms.ReverseForm()
    if request.method == "POST" and request.POST.get("entry", "").isdigit():
        entry = get_object_or_404(Entry, pk=int(request.POST["entry"]), community=community)
        form = forms.ReverseForm(request.POST)
        if form.is_valid():
            try:
                services.entry_reverse(actor=request.user, entry=entry, reason=form.cleaned_data["reason"])
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Entry reversed."))
        else:
            messages.error(request, _("Give the reason for the correction."))
        return redirect("points:office_ledger", community_id=community.pk)
    page = selectors.community_entries_page(community, cursor=request.GET.get("after", ""))
    reversed_ids = set(
        Entry.objects.filter(reverses_id__in=[e.pk for e in page.items]).values_list("reverses_id", flat=True)
    )
    rows = [(presenters.entry_view(e), e.user, e.pk in reversed_ids) for e in page.items]
    return render(
        request,
        "points/office_ledger.html",
        {"community": community, "rows": rows, "next_cursor": page.next_cursor, "form": form},
    )


@office_view
def office_export(request: HttpRequest, community: Place, what: str) -> HttpResponse:
    if what not in ("ledger", "balances"):
        raise Http404
    written = exports.points_export(user=request.user, community=community, what=what)
    return FileResponse(
        written.file, as_attachment=True, filename=written.filename, content_type=exports.CONTENT_TYPE
    )
