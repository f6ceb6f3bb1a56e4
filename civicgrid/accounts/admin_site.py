"""The admin site: Django's, signing in through `user_sign_in` so the admin locks like the site."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponse

from civicgrid.accounts import services
from civicgrid.core.errors import ApplicationError


class AdminSignInForm(AdminAuthenticationForm):
    """The admin's sign-in form; the password is checked, counted and locked by `user_sign_in`."""

    refusal: ApplicationError | None = None

    def clean(self):
        login = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if login is not None and password:
            try:
                self.user_cache = services.user_sign_in(
                    request=self.request,
                    login=login,
                    password=password,
                    client_ip=self.request.META.get("REMOTE_ADDR") if self.request else None,
                )
            except ApplicationError as exc:
                self.refusal = exc
                raise forms.ValidationError(exc.message, code=exc.code)
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class CivicGridAdminSite(admin.AdminSite):
    login_form = AdminSignInForm

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        refusal = getattr(form, "refusal", None)
        if refusal is not None and refusal.status == 429:
            # The same answer as the site's sign-in page gives while locked.
            response.status_code = 429
        return response
