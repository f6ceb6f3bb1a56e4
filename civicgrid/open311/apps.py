from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "civicgrid.open311"
    verbose_name = _("Open311")

    def ready(self) -> None:
        from civicgrid.core.middleware import register_refusal
        from civicgrid.open311.views import middleware_refusal

        register_refusal("/open311/", middleware_refusal)
