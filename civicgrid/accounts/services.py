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
from civicgrid.accounts.selectors import user_for_login
from civicgrid.core import audit, scopes
from civicgrid.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from civicgrid.core.roles import SCOPE_LEVEL, Role
from civicgrid.lib.privacy import mask_phone
from civicgrid.places.models import Place

PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")


def _throttle_keys(login: str, client_ip: str | None) -> list[str]:
    """Return the counters a sign-in attempt is charged to: the account, then the client address.

    The account is found from whatever was typed (account name or mobile number), so failures by
    name and by number fill one counter. A login that names nobody gets a counter of its own, so
    probing for names is limited too.
    """
    user = user_for_login(login)
    keys = [f"user:{user.pk}" if user is not None else f"login:{login.strip().lower()[:150]}"]
    if client_ip:
        keys.append(f"ip:{client_ip[:100]}")
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

    Every door that takes a password (the sign-in page, the admin's sign-in) calls this.

    1. Refuse at once while the account (however it was named) or the client address is locked.
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


def home_code(user: User) -> str:
    """Return the code of the widest place of `user`'s roles: where entries about them are filed."""
    homes = scopes.places_of(user)
    return homes[0].code if homes else ""


def user_facts(user: User) -> dict[str, object]:
    """Return what the audit log keeps of an account (never its password; the phone masked)."""
    facts = audit.snapshot(user, ["username", "display_name", "is_active", "is_staff", "is_superuser"])
    facts["phone"] = mask_phone(user.phone)
    return facts


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    phone: str | None = None,
    is_superuser: bool = False,
    actor: User | None = None,
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
    audit.record(actor=actor, action="user.create", target=user, changes=audit.as_created(user_facts(user)))
    return user


def role_scope_problem(role: str, place: Place | None, agency: Agency | None) -> str | None:
    """Return why a role cannot have this scope, or None when it can."""
    if role not in Role.values:
        return _("Unknown role “%(role)s”.") % {"role": role}
    levels = SCOPE_LEVEL[role]
    if role == Role.AGENCY_STAFF:
        if agency is None:
            return _("Agency staff need an agency.")
    elif levels is not None and (place is None or place.level not in levels):
        return _("The role %(role)s needs a place of level: %(levels)s.") % {
            "role": Role(role).label,
            "levels": ", ".join(str(Place.Level(lv).label) for lv in levels),
        }
    return None


def _checked_scope(
    role: str, place: Place | None, agency: Agency | None
) -> tuple[Place | None, Agency | None]:
    """Return the scope a role keeps (agency staff an agency, the others a place), or refuse it."""
    problem = role_scope_problem(role, place, agency)
    if problem:
        code = "invalid_role" if role not in Role.values else "invalid_scope"
        raise ApplicationError(problem, code=code)
    if role == Role.AGENCY_STAFF:
        return None, agency
    if SCOPE_LEVEL[role] is not None:
        return place, None
    return place, agency


ROLE_FIELDS = ["user", "role", "place", "agency", "is_active"]


def role_place_code(ra: RoleAssignment) -> str:
    if ra.place_id:
        return ra.place.code
    if ra.agency_id:
        return ra.agency.region.code
    return ""


@transaction.atomic
def role_assign(
    *,
    user: User,
    role: str,
    place: Place | None = None,
    agency: Agency | None = None,
    actor: User | None = None,
) -> RoleAssignment:
    """Give `user` a role, checking that its scope is of the kind the role needs.

    Assigning a role the user already holds changes nothing and records nothing; an ended one is
    made active again.
    """
    place, agency = _checked_scope(role, place, agency)
    try:
        with transaction.atomic():
            ra, created = RoleAssignment.objects.get_or_create(
                user=user, role=role, place=place, agency=agency
            )
    except IntegrityError:
        ra, created = RoleAssignment.objects.get(user=user, role=role, place=place, agency=agency), False
    changes = None
    if created:
        changes = audit.as_created(audit.snapshot(ra, ROLE_FIELDS))
    elif RoleAssignment.objects.filter(pk=ra.pk, is_active=False).update(is_active=True):
        changes = {"is_active": {"from": False, "to": True}}
    ra.is_active = True
    scopes.forget(user)
    if changes:
        audit.record(
            actor=actor, action="role.assign", target=ra, place_code=role_place_code(ra), changes=changes
        )
    return ra


@transaction.atomic
def role_end(*, assignment: RoleAssignment, actor: User | None = None) -> RoleAssignment:
    """End a role (it stays on record, inactive); ending an ended role changes nothing."""
    if RoleAssignment.objects.filter(pk=assignment.pk, is_active=True).update(is_active=False):
        audit.record(
            actor=actor,
            action="role.end",
            target=assignment,
            place_code=role_place_code(assignment),
            changes={"is_active": {"from": True, "to": False}},
        )
    assignment.is_active = False
    scopes.forget(assignment.user)
    return assignment


@transaction.atomic
def role_change(
    *,
    assignment: RoleAssignment,
    role: str,
    place: Place | None = None,
    agency: Agency | None = None,
    actor: User | None = None,
) -> RoleAssignment:
    """Change the role or scope of an assignment, checking the scope as `role_assign` does."""
    place, agency = _checked_scope(role, place, agency)
    # Only the assignment's own row is locked (PostgreSQL refuses FOR UPDATE across its nullable joins).
    current = RoleAssignment.objects.select_for_update().filter(pk=assignment.pk).first()
    if current is None:
        raise NotFound(_("The role assignment no longer exists."))
    clash = RoleAssignment.objects.filter(user_id=current.user_id, role=role, place=place, agency=agency)
    if clash.exclude(pk=current.pk).exists():
        raise Conflict(_("This person already holds this role there."), code="duplicate_role")
    before = audit.snapshot(current, ["role", "place", "agency"])
    current.role, current.place, current.agency = role, place, agency
    changes = audit.diff(before, audit.snapshot(current, ["role", "place", "agency"]))
    if changes:
        RoleAssignment.objects.filter(pk=current.pk).update(role=role, place=place, agency=agency)
        audit.record(
            actor=actor,
            action="role.change",
            target=current,
            place_code=role_place_code(current),
            changes=changes,
        )
    assignment.role, assignment.place, assignment.agency = role, place, agency
    scopes.forget(assignment.user)
    return assignment


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, actor: User | None = None) -> tuple[ApiToken, str]:
    """Create an API token for `user`; return it and its plain text, which is never shown again.

    The audit entry names the token (its text shows the prefix), never its secret or hash.
    """
    access.check_create_token(user)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(
            _("Give the token a name, e.g. the system that will use it."), code="invalid_name"
        )
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=prefix, token_hash=_hash_token(secret))
    audit.record(
        actor=actor,
        action="token.create",
        target=token,
        place_code=home_code(user),
        changes=audit.as_created(audit.snapshot(token, ["name", "user"])),
    )
    return token, f"cg_{prefix}_{secret}"


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken) -> None:
    """Revoke a token; only its owner or a superuser may. Revoking a revoked token changes nothing."""
    if token.user_id != user.pk and not user.is_superuser:
        raise PermissionDenied(_("This token is not yours."))
    now = timezone.now()
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        token.revoked_at = now
        audit.record(
            actor=user,
            action="token.revoke",
            target=token,
            place_code=home_code(token.user),
            changes={"revoked_at": {"from": None, "to": now}},
        )


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
    """Return the failed sign-ins counted against the account (or unknown name) `login` names."""
    row = LoginThrottle.objects.filter(key=_throttle_keys(login, None)[0]).first()
    return row.failures if row else 0


AGENCY_FIELDS = ["code", "name", "name_en", "kind", "region", "phone", "is_active"]


def _agency_problem(*, kind: str, name: str) -> ApplicationError | None:
    if kind not in Agency.Kind.values:
        return ApplicationError(_("Unknown kind of agency “%(kind)s”.") % {"kind": kind}, code="invalid_kind")
    if not (name or "").strip():
        return ApplicationError(_("An agency needs a name."), code="invalid_name")
    return None


@transaction.atomic
def agency_create(
    *,
    code: str,
    name: str,
    region: Place,
    kind: str = "government",
    name_en: str = "",
    phone: str = "",
    is_active: bool = True,
    actor: User | None = None,
) -> Agency:
    """Create an agency serving `region`."""
    problem = _agency_problem(kind=kind, name=name)
    if problem:
        raise problem
    if Agency.objects.filter(code=code).exists():
        raise ApplicationError(
            _("Agency code “%(code)s” is already used.") % {"code": code}, code="duplicate_code"
        )
    agency = Agency.objects.create(
        code=code,
        name=name.strip(),
        name_en=name_en,
        kind=kind,
        region=region,
        phone=phone,
        is_active=is_active,
    )
    audit.record(
        actor=actor,
        action="agency.create",
        target=agency,
        place_code=region.code,
        changes=audit.as_created(audit.snapshot(agency, AGENCY_FIELDS)),
    )
    return agency


@transaction.atomic
def agency_update(
    *,
    agency: Agency,
    name: str,
    region: Place,
    kind: str,
    name_en: str = "",
    phone: str = "",
    is_active: bool = True,
    actor: User | None = None,
) -> Agency:
    """Change an agency's names, kind, region, phone or whether it is active (its code stays).

    The values before are read from the database, locked, so the audit entry holds what changed
    even when `agency` was already edited in memory (the admin's form does that).
    """
    problem = _agency_problem(kind=kind, name=name)
    if problem:
        raise problem
    current = Agency.objects.select_for_update().filter(pk=agency.pk).first()
    if current is None:
        raise NotFound(_("The agency no longer exists."))
    fields = {
        "name": name.strip(),
        "name_en": name_en,
        "kind": kind,
        "region": region,
        "phone": phone,
        "is_active": is_active,
    }
    before = audit.snapshot(current, AGENCY_FIELDS)
    for key, value in fields.items():
        setattr(current, key, value)
        setattr(agency, key, value)
    changes = audit.diff(before, audit.snapshot(current, AGENCY_FIELDS))
    if changes:
        Agency.objects.filter(pk=current.pk).update(**fields)
        audit.record(
            actor=actor, action="agency.update", target=current, place_code=region.code, changes=changes
        )
    return agency
