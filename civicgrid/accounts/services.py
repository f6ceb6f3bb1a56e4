"""Every write to people, roles, tokens, Open311 client keys and login throttles."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts import access
from civicgrid.accounts.models import Agency, ApiToken, ClientApp, LoginThrottle, RoleAssignment, User
from civicgrid.accounts.selectors import user_for_login
from civicgrid.core import audit, scopes
from civicgrid.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from civicgrid.core.roles import SCOPE_LEVEL, Role
from civicgrid.lib import ratelimit
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


# --- Open311 client applications -------------------------------------------------------------------

CLIENT_KEY_PREFIX = "o311"
CLIENT_FIELDS = ["name", "contact", "region", "prefix", "posts_per_hour"]
# A key's last use is written at most this often, so a busy client does not write on every request.
CLIENT_LAST_USED_EVERY = timedelta(minutes=5)
# The window of a key's POST limit (`ClientApp.posts_per_hour`).
CLIENT_RATE_WINDOW = 3600
CLIENT_MAX_POSTS_PER_HOUR = 100_000
_CLIENT_PREFIX_RE = re.compile(r"^[0-9a-f]{8}$")


def _client_problems(
    *, name: str, contact: str, region: Place | None, posts_per_hour: object
) -> dict[str, str]:
    """Return what is wrong with a new client's fields, by field name (empty when nothing is)."""
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Name the application, e.g. “随手拍小程序”.")
    elif len(name) > 100:
        errors["name"] = _("The name is longer than 100 characters.")
    if not contact:
        errors["contact"] = _("Say who runs the application and how to reach them (email or phone).")
    elif len(contact) > 200:
        errors["contact"] = _("The contact is longer than 200 characters.")
    if region is None:
        errors["region"] = _("Choose the region the application files requests in.")
    elif region.level not in access.CLIENT_REGION_LEVELS:
        errors["region"] = _(
            "A client key is scoped to a city, a district or a town, not to a %(level)s."
        ) % {"level": Place.Level(region.level).label}
    if (
        isinstance(posts_per_hour, bool)
        or not isinstance(posts_per_hour, int)
        or not 1 <= posts_per_hour <= CLIENT_MAX_POSTS_PER_HOUR
    ):
        errors["posts_per_hour"] = _("POSTs per hour must be a whole number from 1 to %(most)d.") % {
            "most": CLIENT_MAX_POSTS_PER_HOUR
        }
    return errors


@transaction.atomic
def client_app_issue(
    *,
    actor: User,
    name: str,
    contact: str,
    region: Place | None,
    posts_per_hour: int | None = None,
) -> tuple[ClientApp, str]:
    """Issue an Open311 API key to a client application; return it and the key's text, shown only once.

    1. Refuse anyone who may not manage client keys, then any field that is wrong (all at once,
       by field name), then a region outside the actor's scope.
    2. Store the application with a fresh prefix and the SHA-256 of a fresh secret.
    3. Record it in the audit log under the region (never the secret or its hash).
    """
    if not access.can_manage_clients(actor):
        raise PermissionDenied(_("Only administrators issue keys to client applications."))
    name = (name or "").strip()
    contact = (contact or "").strip()
    if posts_per_hour is None:
        posts_per_hour = settings.OPEN311_POSTS_PER_HOUR
    errors = _client_problems(name=name, contact=contact, region=region, posts_per_hour=posts_per_hour)
    if errors:
        raise ApplicationError(
            _("Please correct the marked fields."), code="invalid", extra={"fields": errors}
        )
    assert region is not None
    access.check_manage_client(actor, region)
    secret = secrets.token_urlsafe(32)
    for attempt in range(5):
        try:
            with transaction.atomic():
                client = ClientApp.objects.create(
                    name=name,
                    contact=contact,
                    region=region,
                    prefix=secrets.token_hex(4),
                    key_hash=_hash_token(secret),
                    posts_per_hour=posts_per_hour,
                    created_by=actor,
                )
            break
        except IntegrityError:  # the prefix was taken: 1 in 4 billion per key
            if attempt == 4:
                raise
    audit.record(
        actor=actor,
        action="client_app.issue",
        target=client,
        place_code=region.code,
        changes=audit.as_created(audit.snapshot(client, CLIENT_FIELDS)),
    )
    return client, f"{CLIENT_KEY_PREFIX}_{client.prefix}_{secret}"


@transaction.atomic
def client_app_revoke(*, actor: User, client: ClientApp) -> None:
    """Revoke a client's key; its application is refused from then on. Revoking a revoked key changes nothing."""
    access.check_manage_client(actor, client.region)
    now = timezone.now()
    if ClientApp.objects.filter(pk=client.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    ):
        client.revoked_at, client.revoked_by = now, actor
        audit.record(
            actor=actor,
            action="client_app.revoke",
            target=client,
            place_code=client.region.code,
            changes={"revoked_at": {"from": None, "to": now}},
        )


def client_app_authenticate(raw: str) -> ClientApp | None:
    """Return the active client application an API key (`o311_<prefix>_<secret>`) belongs to, or None.

    Used by the Open311 door on every POST; the answer's `region` is loaded with it. The secret is
    compared in constant time; the key's last use is written at most every five minutes.
    """
    raw = (raw or "").strip()
    if len(raw) > 200:
        return None
    parts = raw.split("_", 2)
    if (
        len(parts) != 3
        or parts[0] != CLIENT_KEY_PREFIX
        or not _CLIENT_PREFIX_RE.match(parts[1])
        or not parts[2]
    ):
        return None
    client = (
        ClientApp.objects.filter(prefix=parts[1], revoked_at__isnull=True).select_related("region").first()
    )
    if client is None or not hmac.compare_digest(client.key_hash, _hash_token(parts[2])):
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > CLIENT_LAST_USED_EVERY:
        # Conditional, so concurrent requests of one client write it once.
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - CLIENT_LAST_USED_EVERY)
        ClientApp.objects.filter(stale, pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client


def client_app_check_rate(client: ClientApp) -> None:
    """Count one POST of `client`; refuse it (429 `rate_limited`) past the key's POSTs per hour.

    `extra` says the limit and the seconds until the window ends (`retry_after`, for a Retry-After header).
    """
    if ratelimit.allow(f"open311:client:{client.pk}", limit=client.posts_per_hour, window=CLIENT_RATE_WINDOW):
        return
    retry_after = CLIENT_RATE_WINDOW - int(time.time()) % CLIENT_RATE_WINDOW
    raise ApplicationError(
        _("Too many requests with this API key: at most %(limit)d an hour. Try again in %(minutes)d minutes.")
        % {"limit": client.posts_per_hour, "minutes": max(1, (retry_after + 59) // 60)},
        code="rate_limited",
        status=429,
        extra={"limit": client.posts_per_hour, "retry_after": retry_after},
    )


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
