"""Domain errors and the single API error shape.

Services raise `DomainError` subclasses. The DRF exception handler (tms/api_errors.py) turns every
error, ours and DRF's, into one JSON body:

    {"code": "room_conflict", "message": "...", "fields": {"field": ["..."]},
     "conflicts": [{"resource": "room", "resource_id": 3, "session_id": 9, ...}],
     "extra": {"missing": [4, 7]}}

`conflicts` and `extra` appear only when the error has them: `conflicts` lists what is already
booked (409), `extra` holds machine-readable details of one kind of error (the ids of missing
prerequisite courses for `prerequisites_missing`).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class DomainError(Exception):
    """A business rule refused the request. `status_code` says how the API answers."""

    status_code = HTTPStatus.BAD_REQUEST
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        conflicts: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.conflicts = conflicts or []
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "fields": self.fields}
        if self.conflicts:
            body["conflicts"] = self.conflicts
        if self.extra:
            body["extra"] = self.extra
        return body


class RuleViolation(DomainError):
    """Input is well-formed but breaks a rule (room too small, instructor not qualified...)."""

    code = "rule_violation"


class ResourceConflict(DomainError):
    """A room, host account or instructor is already booked for an overlapping time."""

    status_code = HTTPStatus.CONFLICT
    code = "conflict"


class InvalidTransition(DomainError):
    status_code = HTTPStatus.CONFLICT
    code = "invalid_transition"


class Busy(DomainError):
    """A lock could not be taken in time; nothing was written. The client may retry."""

    status_code = HTTPStatus.CONFLICT
    code = "busy"


class AlreadyRegistered(DomainError):
    status_code = HTTPStatus.CONFLICT
    code = "already_registered"


class ScheduleClash(DomainError):
    """The learner already holds a seat in a session at the same time."""

    status_code = HTTPStatus.CONFLICT
    code = "schedule_clash"


class RegistrationClosed(DomainError):
    status_code = HTTPStatus.CONFLICT
    code = "registration_closed"


class PrerequisitesMissing(DomainError):
    code = "prerequisites_missing"
