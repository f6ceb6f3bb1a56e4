from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "civicgrid.orgs"
    verbose_name = _("Organisation network")

    def ready(self) -> None:
        from civicgrid.core import audit

        # The audit log's codes for this app's administrative writes (core knows none of them).
        audit.declare(
            {
                "orgs.org_create": _("Organisation created"),
                "orgs.org_update": _("Organisation changed"),
                "orgs.org_move": _("Organisation moved in the network"),
                "orgs.person_create": _("Person added to the network"),
                "orgs.person_update": _("Person changed"),
                "orgs.position_appoint": _("Post appointed"),
                "orgs.position_end": _("Term of a post ended"),
                "orgs.target_create": _("Coverage target added"),
                "orgs.target_update": _("Coverage target changed"),
                "orgs.target_import": _("Coverage targets imported"),
                "orgs.link_create": _("Coverage link added"),
                "orgs.link_end": _("Coverage link ended"),
                "orgs.task_done": _("Checklist item done"),
                "orgs.task_verify": _("Checklist item verified"),
                "orgs.task_reopen": _("Checklist item reopened"),
                "orgs.checklist_create": _("Checklist template created"),
                "orgs.structure_target_set": _("Structure target set"),
                "orgs.export": _("Organisation network exported"),
            }
        )
