from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "civicgrid.governance"
    verbose_name = _("Co-governance")

    def ready(self) -> None:
        from civicgrid.core import audit
        from civicgrid.governance import (
            presenters_pairings,
            services_forum,
            services_meetings,
            services_pairings,
        )
        from civicgrid.places import panels

        # The audit log's codes for this app's administrative writes (core knows none of them).
        audit.declare(services_forum.AUDIT_ACTIONS, services_forum.AUDIT_TERMS)
        audit.declare(services_meetings.AUDIT_ACTIONS)
        audit.declare(services_pairings.AUDIT_ACTIONS)
        # A grid's page shows who is sent down to it (places cannot import this app: it asks its panels).
        panels.register(presenters_pairings.grid_envoys_panel)
        audit.declare(
            {
                "governance.matter_create": _("Task board matter drafted"),
                "governance.matter_edit": _("Task board draft changed"),
                "governance.matter_publish": _("Task board matter published"),
                "governance.matter_withdraw": _("Task board matter withdrawn"),
                "governance.matter_claim": _("Task board matter claimed"),
                "governance.matter_progress": _("Task board progress reported"),
                "governance.matter_complete": _("Task board matter completed"),
                "governance.matter_verify": _("Task board matter verified"),
                "governance.matter_return": _("Task board matter returned for more work"),
                "governance.board_export": _("Task board exported"),
            }
        )
