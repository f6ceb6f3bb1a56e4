from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "civicgrid.points"
    verbose_name = _("Points")

    def ready(self) -> None:
        from civicgrid.cases.signals import case_event_committed
        from civicgrid.core import audit
        from civicgrid.points import receivers
        from civicgrid.volunteers.signals import hours_approved

        case_event_committed.connect(receivers.on_case_event, dispatch_uid="points.case_accepted")
        hours_approved.connect(receivers.on_hours_approved, dispatch_uid="points.hours_approved")
        audit.declare(
            {
                "points.rules_create": _("Points rules version added"),
                "points.entry_reverse": _("Points entry reversed"),
                "points.award_request": _("Manual points award or deduction requested"),
                "points.award_decide": _("Manual points award or deduction decided"),
                "points.household_create": _("Household created"),
                "points.household_member": _("Household member added"),
                "points.reward_create": _("Reward created"),
                "points.reward_update": _("Reward changed"),
                "points.slot_add": _("Reward slot added"),
                "points.redemption_cancel": _("Redemption cancelled by the office"),
                "points.redemption_fulfil": _("Redemption fulfilled"),
                "points.publish": _("Leaderboard published"),
                "points.objection_answer": _("Objection answered"),
                "points.export": _("Points exported"),
            }
        )
