"""The four roles, as Django groups created by a migration (tms/migrations/0001)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models


class Role(models.TextChoices):
    COORDINATOR = "Coordinator"
    INSTRUCTOR = "Instructor"
    LEARNER = "Learner"
    AUDITOR = "Auditor"


def roles_of(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """Role names the user holds; superusers act as coordinators. Cached on the user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_tms_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        if user.is_superuser:  # type: ignore[attr-defined]
            names.add(Role.COORDINATOR)
        cached = frozenset(names)
        user._tms_roles = cached  # type: ignore[union-attr]
    return cached
