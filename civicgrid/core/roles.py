"""The roles a person can hold: the one enum every app uses (role assignments, access rules, navigation)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    MOBILE_GRID_MEMBER = "mobile_grid_member", _("Mobile grid member")
    GRID_WORKER = "grid_worker", _("Grid worker")
    GRID_LEADER = "grid_leader", _("Grid leader")
    VILLAGE_CADRE = "village_cadre", _("Village / community cadre")
    TOWN_OPERATOR = "town_operator", _("Town command-centre operator")
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    CITY_ADMIN = "city_admin", _("City administrator")
    AGENCY_STAFF = "agency_staff", _("Agency staff")
    FEDERATION_CADRE = "federation_cadre", _("Federation cadre")
    VOLUNTEER = "volunteer", _("Volunteer")


# Roles that work for the government side and may see contact details within their scope.
STAFF_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.GRID_LEADER,
        Role.VILLAGE_CADRE,
        Role.TOWN_OPERATOR,
        Role.DISTRICT_ADMIN,
        Role.CITY_ADMIN,
        Role.AGENCY_STAFF,
    }
)
ADMIN_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
GRID_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER})

# The level of place each role's scope must be; None: no place required (agency staff are scoped by
# their agency, federation cadres and volunteers by their organisation).
SCOPE_LEVEL: dict[str, tuple[str, ...] | None] = {
    Role.RESIDENT: ("village", "grid"),
    Role.MOBILE_GRID_MEMBER: ("city", "district", "town"),
    Role.GRID_WORKER: ("grid",),
    Role.GRID_LEADER: ("grid",),
    Role.VILLAGE_CADRE: ("village",),
    Role.TOWN_OPERATOR: ("town",),
    Role.DISTRICT_ADMIN: ("district",),
    Role.CITY_ADMIN: ("city",),
    Role.AGENCY_STAFF: None,
    Role.FEDERATION_CADRE: None,
    Role.VOLUNTEER: None,
}
