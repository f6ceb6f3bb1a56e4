"""What an Open311 client sent about the person reporting: private, never in an Open311 answer."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Open311Request(models.Model):
    """A case filed through Open311: the client application that sent it, its token, and the
    reporter fields of the POST (first_name, last_name, email, phone, device_id, account_id) and its
    `media_url`, kept for the staff and never returned by any Open311 method."""

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="open311"
    )
    client = models.ForeignKey(
        "accounts.ClientApp", verbose_name=_("client application"), on_delete=models.PROTECT, related_name="+"
    )
    # GET tokens/{token} answers with the case's id.
    token = models.CharField(_("token"), max_length=32, unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")

    def __str__(self) -> str:
        return f"{self.case_id} ← {self.client_id}"
