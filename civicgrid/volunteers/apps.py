from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "civicgrid.volunteers"
    verbose_name = _("Volunteers")

    def ready(self) -> None:
        from civicgrid.core import audit

        # The audit log's codes for this app's administrative writes (core knows none of them).
        audit.declare(
            {
                "volunteers.team_create": _("Volunteer team created"),
                "volunteers.team_update": _("Volunteer team changed"),
                "volunteers.leader_appoint": _("Team leader appointed"),
                "volunteers.member_add": _("Volunteer added to a team"),
                "volunteers.member_remove": _("Volunteer removed from a team"),
                "volunteers.activity_create": _("Volunteer activity created"),
                "volunteers.activity_update": _("Volunteer activity changed"),
                "volunteers.hours_decide": _("Volunteer hours decided"),
                "volunteers.hours_correct": _("Volunteer hours corrected"),
                "volunteers.hours_manual": _("Volunteer hours recorded by hand"),
                "volunteers.certificate_issue": _("Volunteer service certificate issued"),
                "volunteers.roster_import": _("Team roster imported"),
                "volunteers.export": _("Volunteer hours exported"),
            }
        )
