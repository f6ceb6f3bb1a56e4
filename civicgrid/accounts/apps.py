from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True
    name = "civicgrid.accounts"
    label = "accounts"
    verbose_name = _("Accounts and access")

    def ready(self) -> None:
        # Role assignments and API tokens live here; the layers below read them through these hooks.
        from civicgrid.accounts import selectors, services
        from civicgrid.core import api_auth, audit, scopes
        from civicgrid.places import selectors as place_selectors

        scopes.set_loader(selectors.load_scopes)
        api_auth.set_token_authenticator(services.api_token_authenticate)
        place_selectors.set_people_source(selectors.place_people)

        # The audit log's codes for this app's writes (core knows none of them).
        audit.declare(
            {
                "user.create": _("Account created"),
                "user.update": _("Account changed"),
                "user.password": _("Password set"),
                "user.delete": _("Account deleted"),
                "role.assign": _("Role assigned"),
                "role.change": _("Role changed"),
                "role.end": _("Role ended"),
                "role.delete": _("Role assignment deleted"),
                "token.create": _("API token created"),
                "token.revoke": _("API token revoked"),
                "agency.create": _("Agency created"),
                "agency.update": _("Agency changed"),
                "agency.delete": _("Agency deleted"),
                "client_app.issue": _("Client app key issued"),
                "client_app.revoke": _("Client app key revoked"),
            }
        )


class CivicGridAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with a site whose sign-in goes through the same lockout as the site's."""

    default = False
    default_site = "civicgrid.accounts.admin_site.CivicGridAdminSite"
