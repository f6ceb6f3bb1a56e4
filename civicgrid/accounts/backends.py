"""Sign in with a username or a mobile number."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from civicgrid.accounts.models import User
from civicgrid.accounts.selectors import user_for_login


class UsernameOrPhoneBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = user_for_login(username)
        if user is None:
            # Run the hasher anyway so a missing account takes as long as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
