from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "civicgrid.places"
    label = "places"
    verbose_name = _("Places and grids")

    def ready(self) -> None:
        # Imported here: models cannot be imported while apps.py is.
        from civicgrid.core import audit

        audit.declare(
            {
                "place.create": _("Place created"),
                "place.update": _("Place renamed"),
                "boundary.set": _("Boundary drawn"),
                "places.import": _("Places imported"),
            },
            terms={
                "created": _("places created"),
                "updated": _("places renamed"),
                "redrawn": _("boundaries redrawn"),
                "unchanged": _("places unchanged"),
                "file": _("file"),
                "boundary": _("boundary version"),
                "area_m2": _("area (m²)"),
                "source": _("source"),
            },
        )
