from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "civicgrid.accounts"
    label = "accounts"
    verbose_name = _("Accounts and access")

    def ready(self) -> None:
        # Role assignments live here; the layers below read them through these two hooks.
        from civicgrid.accounts import selectors
        from civicgrid.core import scopes
        from civicgrid.places import selectors as place_selectors

        scopes.set_loader(selectors.load_scopes)
        place_selectors.set_people_source(selectors.place_people)
