from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    """The top layer: navigation, home page, shared template tags and the demo county."""

    name = "civicgrid.site"
    label = "site"
    verbose_name = _("Site")
