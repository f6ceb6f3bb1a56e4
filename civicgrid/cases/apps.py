from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Imported here: models cannot be imported while apps.py is.
        from civicgrid.addresses.presenters import register_panel
        from civicgrid.cases import categories, hotline_categories, presenters_address, search
        from civicgrid.core import audit

        audit.declare(
            {
                "category.create": _("Category created"),
                "category.update": _("Category changed"),
                "category.delete": _("Category deleted"),
                "category_question.create": _("Category question added"),
                "category_question.update": _("Category question changed"),
                "category_question.delete": _("Category question deleted"),
                "holiday.create": _("Calendar day added"),
                "holiday.update": _("Calendar day changed"),
                "holiday.delete": _("Calendar day deleted"),
                "score_weights.create": _("Score weights set"),
                "score_weights.update": _("Score weights changed"),
                "score_weights.delete": _("Score weights deleted"),
                "cases.export": _("Case list exported"),
                "cases.monthly_report": _("Monthly report downloaded"),
            },
            {"filters": _("filters"), "rows": _("rows"), "month": _("month"), "region": _("area")},
        )
        audit.declare(hotline_categories.AUDIT_ACTIONS)
        # Every process that edits a category must bump the revision others reload from.
        categories.connect_signals()
        # A migration that rebuilds cases_case on SQLite drops the search index's triggers.
        post_migrate.connect(search.repair_after_migrate, sender=self)
        # The address page lists the 12345 orders at the address (addresses cannot read cases).
        register_panel(presenters_address.address_orders)
