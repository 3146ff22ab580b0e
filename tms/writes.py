"""Model writes every app's services share: apply allowed changes, validate every model rule
and save, delete unless still referenced. Domain rules stay in each app's services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from tms.exceptions import ResourceConflict, RuleViolation

M = TypeVar("M", bound=models.Model)


def clean_and_save(obj: M) -> M:
    """Validate every model rule (fields, uniqueness, constraints), then save."""
    try:
        obj.full_clean()
    except ValidationError as error:
        fields = {
            ("non_field_errors" if key == "__all__" else key): [str(m) for m in messages]
            for key, messages in error.message_dict.items()
        }
        raise RuleViolation(next(iter(fields.values()))[0], fields=fields) from None
    obj.save()
    return obj


def apply_changes(obj: M, changes: Mapping[str, Any], allowed: frozenset[str]) -> M:
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"cannot change {sorted(unknown)} on {type(obj).__name__}")
    for name, value in changes.items():
        setattr(obj, name, value)
    return obj


def delete_unless_used(obj: models.Model, *, hint: str) -> None:
    """Delete `obj`; rows that still point at it (PROTECT) turn the delete into a 409."""
    try:
        with transaction.atomic():
            obj.delete()
    except (ProtectedError, RestrictedError):
        raise ResourceConflict(
            _("%(obj)s is still in use and cannot be deleted. %(hint)s")
            % {"obj": obj, "hint": hint}
        ) from None
