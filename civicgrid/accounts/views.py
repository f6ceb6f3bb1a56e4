"""Sign-in, sign-out, the "me" page, the API-token page and the client apps page (Open311 keys)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid.accounts import access, presenters, selectors, services
from civicgrid.accounts.forms import ClientIssueForm, SignInForm, TokenCreateForm
from civicgrid.accounts.models import ApiToken, ClientApp
from civicgrid.core.errors import ApplicationError, PermissionDenied


def _safe_next(request: HttpRequest) -> str:
    """Return where to go after signing in: `next` if it stays on this site, else the home page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("site:home")


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """Render the friendly 403 page with the reason; used where a service or access refuses."""
    return render(request, "403.html", {"message": message}, status=403)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in with an account name or mobile number; repeated failures lock the account for a while."""
    next_url = _safe_next(request)
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    status = 200
    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            try:
                user = services.user_sign_in(
                    request=request,
                    login=form.cleaned_data["login"],
                    password=form.cleaned_data["password"],
                    client_ip=request.META.get("REMOTE_ADDR"),
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                status = exc.status if exc.code == "locked" else 200
            else:
                auth_login(request, user)
                return HttpResponseRedirect(next_url)
    else:
        form = SignInForm()
    requested = request.POST.get("next") or request.GET.get("next") or ""
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url if requested else ""},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out (POST only, so a link or an image cannot sign anyone out)."""
    was_signed_in = request.user.is_authenticated
    auth_logout(request)
    if was_signed_in:
        messages.success(request, _("You have signed out."))
    return redirect("site:home")


@login_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    """Show who the signed-in person is (name, masked phone, roles and places in plain words) and the
    links a phone user looks for under "me": their reports, notifications, language, sign-out; staff tools
    for staff only (the links come from the navigation, which asks the permission rules)."""
    return render(request, "accounts/me.html", {"me": presenters.me_view(user=request.user)})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List, create and revoke the user's API tokens; a new token's text is shown once, here."""
    if not access.can_create_token(request.user):
        return forbidden(request, _("API tokens are for staff and integrations."))
    form = TokenCreateForm()
    created: ApiToken | None = None
    plain = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            token = _own_token(request, request.POST.get("token", ""))
            try:
                services.api_token_revoke(user=request.user, token=token)
            except PermissionDenied as exc:
                return forbidden(request, exc.message)
            messages.success(request, _("Token “%(name)s” is revoked.") % {"name": token.name})
            return redirect("accounts:tokens")
        if action != "create":
            return redirect("accounts:tokens")
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            try:
                created, plain = services.api_token_create(
                    user=request.user, name=form.cleaned_data["name"], actor=request.user
                )
            except PermissionDenied as exc:
                return forbidden(request, exc.message)
            except ApplicationError as exc:
                form.add_error("name", exc.message)
            else:
                form = TokenCreateForm()
    token_list = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": list(token_list), "created": created, "plain": plain},
    )


def _own_token(request: HttpRequest, token_id: str) -> ApiToken:
    if not token_id.isdigit():
        raise Http404(_("No such token."))
    token = ApiToken.objects.filter(pk=int(token_id), user=request.user).first()
    if token is None:
        raise Http404(_("No such token."))
    return token


CLIENTS_PER_PAGE = 50


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def clients(request: HttpRequest) -> HttpResponse:
    """List, issue and revoke the Open311 keys of client applications; a new key is shown once, here."""
    if not access.can_manage_clients(request.user):
        return forbidden(request, _("Client applications are managed by district and city administrators."))
    form = ClientIssueForm(user=request.user)
    issued: ClientApp | None = None
    plain = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            client = _managed_client(request, request.POST.get("client", ""))
            try:
                services.client_app_revoke(actor=request.user, client=client)
            except PermissionDenied as exc:
                return forbidden(request, exc.message)
            messages.success(
                request,
                _("The key of “%(name)s” is revoked: the application's requests are refused from now on.")
                % {"name": client.name},
            )
            return redirect("accounts:clients")
        if action != "issue":
            return redirect("accounts:clients")
        form = ClientIssueForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                issued, plain = services.client_app_issue(actor=request.user, **form.cleaned_data)
            except PermissionDenied as exc:
                return forbidden(request, exc.message)
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                form = ClientIssueForm(user=request.user)
    status = request.GET.get("status", "")
    if status not in selectors.CLIENT_STATUSES:
        status = ""
    page = Paginator(selectors.client_app_list(request.user, status=status), CLIENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/clients.html",
        {
            "form": form,
            "page_obj": page,
            "clients": list(page.object_list),
            "status": status,
            "issued": issued,
            "plain": plain,
        },
    )


def _managed_client(request: HttpRequest, client_id: str) -> ClientApp:
    """Return the client application `client_id` names among those the user may manage, or 404."""
    client = None
    if client_id.isdigit():
        client = selectors.client_app_list(request.user).filter(pk=int(client_id)).first()
    if client is None:
        raise Http404(_("No such client application."))
    return client
