"""Every write to people, roles, tokens and login throttles."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts import access
from civicgrid.accounts.models import Agency, ApiToken, LoginThrottle, RoleAssignment, User
from civicgrid.core import scopes
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.core.roles import SCOPE_LEVEL, Role
from civicgrid.places.models import Place

PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")


def _throttle_keys(login: str, client_ip: str | None) -> list[str]:
    keys = [f"login:{login.strip().lower()}"]
    if client_ip:
        keys.append(f"ip:{client_ip}")
    return keys


def _locked_until(keys: list[str]) -> timezone.datetime | None:
    now = timezone.now()
    row = LoginThrottle.objects.filter(key__in=keys, locked_until__gt=now).order_by("-locked_until").first()
    return row.locked_until if row else None


def _record_failure(keys: list[str]) -> None:
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    for key in keys:
        with transaction.atomic():
            row, _created = LoginThrottle.objects.select_for_update().get_or_create(key=key)
            if row.first_failure_at is None or row.first_failure_at < now - window:
                row.failures, row.first_failure_at = 0, now
            row.failures += 1
            # A client address is shared by many people (a village office), so it gets more room.
            limit = settings.LOGIN_MAX_FAILURES * (4 if key.startswith("ip:") else 1)
            if row.failures >= limit:
                row.locked_until = now + window
            row.save(update_fields=["failures", "first_failure_at", "locked_until"])


def user_sign_in(*, request, login: str, password: str, client_ip: str | None = None) -> User:
    """Check a username-or-phone and password, with lockout after repeated failures.

    1. Refuse at once while the account name or the client address is locked.
    2. Authenticate; on failure count it against both and refuse with one message for every cause.
    3. On success clear the account's counter.
    """
    login = (login or "").strip()
    keys = _throttle_keys(login, client_ip)
    until = _locked_until(keys)
    if until is not None:
        minutes = max(1, int((until - timezone.now()).total_seconds() // 60) + 1)
        raise ApplicationError(
            _("Too many failed sign-ins. Try again in %(minutes)d minutes.") % {"minutes": minutes},
            code="locked",
            status=429,
        )
    user = authenticate(request, username=login, password=password)
    if user is None:
        _record_failure(keys)
        raise ApplicationError(_("The account name or password is wrong."), code="bad_credentials")
    LoginThrottle.objects.filter(key=keys[0]).delete()
    return user


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    phone: str | None = None,
    is_superuser: bool = False,
) -> User:
    """Create a person; a phone, when given, must be a mainland mobile number not used by anyone else."""
    username = (username or "").strip()
    if not username:
        raise ApplicationError(_("An account name is required."), code="invalid_username")
    if phone:
        phone = phone.strip()
        if not PHONE_RE.match(phone):
            raise ApplicationError(
                _("“%(phone)s” is not a mobile number.") % {"phone": phone}, code="invalid_phone"
            )
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(_("The account name is taken."), code="duplicate_username")
    if phone and User.objects.filter(phone=phone).exists():
        raise ApplicationError(_("The mobile number is already registered."), code="duplicate_phone")
    user = User(
        username=username,
        display_name=display_name,
        phone=phone or None,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def role_assign(
    *, user: User, role: str, place: Place | None = None, agency: Agency | None = None
) -> RoleAssignment:
    """Give `user` a role, checking that its scope is of the kind the role needs."""
    if role not in Role.values:
        raise ApplicationError(_("Unknown role “%(role)s”.") % {"role": role}, code="invalid_role")
    levels = SCOPE_LEVEL[role]
    if role == Role.AGENCY_STAFF:
        if agency is None:
            raise ApplicationError(_("Agency staff need an agency."), code="invalid_scope")
        place = None
    elif levels is not None:
        if place is None or place.level not in levels:
            raise ApplicationError(
                _("The role %(role)s needs a place of level: %(levels)s.")
                % {
                    "role": Role(role).label,
                    "levels": ", ".join(str(Place.Level(lv).label) for lv in levels),
                },
                code="invalid_scope",
            )
        agency = None
    try:
        with transaction.atomic():
            ra, _created = RoleAssignment.objects.get_or_create(
                user=user, role=role, place=place, agency=agency
            )
    except IntegrityError:
        ra = RoleAssignment.objects.get(user=user, role=role, place=place, agency=agency)
    if not ra.is_active:
        RoleAssignment.objects.filter(pk=ra.pk).update(is_active=True)
        ra.is_active = True
    scopes.forget(user)
    return ra


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API token for `user`; return it and its plain text, which is never shown again."""
    access.check_create_token(user)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(
            _("Give the token a name, e.g. the system that will use it."), code="invalid_name"
        )
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=prefix, token_hash=_hash_token(secret))
    return token, f"cg_{prefix}_{secret}"


def api_token_revoke(*, user: User, token: ApiToken) -> None:
    """Revoke a token; only its owner or a superuser may."""
    if token.user_id != user.pk and not user.is_superuser:
        raise PermissionDenied(_("This token is not yours."))
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_authenticate(raw: str) -> User | None:
    """Return the active user a bearer token belongs to, or None; records when it was last used."""
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "cg":
        return None
    token = ApiToken.objects.filter(prefix=parts[1], revoked_at__isnull=True).select_related("user").first()
    if token is None or not hmac.compare_digest(token.token_hash, _hash_token(parts[2])):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def login_failures(login: str) -> int:
    row = LoginThrottle.objects.filter(key=f"login:{login.strip().lower()}").first()
    return row.failures if row else 0


@transaction.atomic
def agency_create(
    *, code: str, name: str, region: Place, kind: str = "government", name_en: str = "", phone: str = ""
) -> Agency:
    """Create an agency serving `region`."""
    if kind not in Agency.Kind.values:
        raise ApplicationError(_("Unknown kind of agency “%(kind)s”.") % {"kind": kind}, code="invalid_kind")
    if not (name or "").strip():
        raise ApplicationError(_("An agency needs a name."), code="invalid_name")
    if Agency.objects.filter(code=code).exists():
        raise ApplicationError(
            _("Agency code “%(code)s” is already used.") % {"code": code}, code="duplicate_code"
        )
    return Agency.objects.create(
        code=code, name=name.strip(), name_en=name_en, kind=kind, region=region, phone=phone
    )
