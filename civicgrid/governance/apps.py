from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "civicgrid.governance"
    verbose_name = _("Co-governance")

    def ready(self) -> None:
        from civicgrid.core import audit
        from civicgrid.governance import services_forum, services_meetings

        # The audit log's codes for this app's administrative writes (core knows none of them).
        audit.declare(services_forum.AUDIT_ACTIONS, services_forum.AUDIT_TERMS)
        audit.declare(services_meetings.AUDIT_ACTIONS)
