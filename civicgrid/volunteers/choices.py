"""Choices both the volunteers app and the apps above it use (points rules are set per service field)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceField(models.TextChoices):
    """The field of a team or an activity's service (the usual 志愿服务类别)."""

    ELDERLY = "elderly", _("Elderly and disabled care")
    COMMUNITY = "community", _("Community service")
    ENVIRONMENT = "environment", _("Environment and sanitation")
    SAFETY = "safety", _("Safety patrol")
    CIVILITY = "civility", _("Civility promotion")
    CULTURE = "culture", _("Culture and sports")
    HEALTH = "health", _("Health care")
    EDUCATION = "education", _("Education and tutoring")
    LEGAL = "legal", _("Legal aid")
    EMERGENCY = "emergency", _("Emergency rescue")
    OTHER = "other", _("Other")
