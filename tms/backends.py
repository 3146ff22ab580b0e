"""Sign-in with username and password, and the signed-in user loaded with what every page
reads about them: their settings and, for an instructor, their instructor profile (both for
the time zone pages show), in the same query as the user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UserWithProfilesBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        users = get_user_model()._default_manager.select_related("profile", "instructor_profile")
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
