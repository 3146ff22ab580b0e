"""The set-password page an invitation links to (Django's reset-confirm view: the token in
the link is checked, then the user chooses a password and signs in with it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext as _


class SetPasswordView(auth_views.PasswordResetConfirmView):
    template_name = "registration/set_password.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Sign in with it now."))
        return response
