from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AddressesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "civicgrid.addresses"
    verbose_name = _("Standard addresses")

    def ready(self) -> None:
        from civicgrid.addresses import services
        from civicgrid.core import audit

        # The audit log's codes for the register's writes (core knows none of them).
        audit.declare(services.AUDIT_ACTIONS, services.AUDIT_TERMS)
