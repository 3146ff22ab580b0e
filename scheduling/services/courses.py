"""Course catalog writes: a course, its fields and its prerequisites (never a cycle)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from scheduling.models import Course
from tms.exceptions import RuleViolation
from tms.writes import apply_changes, clean_and_save, delete_unless_used

COURSE_FIELDS = frozenset(
    {
        "code",
        "title",
        "description",
        "default_duration_minutes",
        "default_capacity",
        "delivery_modes",
        "wanted_room_features",
        "active",
    }
)


def course_create(*, prerequisites: Sequence[Course] = (), **fields: Any) -> Course:
    """Add a course to the catalog with its prerequisites."""
    with transaction.atomic(durable=True):
        course = clean_and_save(apply_changes(Course(), fields, COURSE_FIELDS))
        course.prerequisites.set(prerequisites)
    return course


def course_update(*, course_id: int, changes: dict[str, Any]) -> Course:
    """Change a course; prerequisites may not include the course itself or form a cycle."""
    with transaction.atomic(durable=True):
        course = Course.objects.select_for_update().get(pk=course_id)
        prerequisites = changes.pop("prerequisites", None)
        clean_and_save(apply_changes(course, changes, COURSE_FIELDS))
        if prerequisites is not None:
            _refuse_prerequisite_cycle(course, prerequisites)
            course.prerequisites.set(prerequisites)
    return course


def course_delete(*, course_id: int) -> None:
    with transaction.atomic(durable=True):
        course = Course.objects.select_for_update().get(pk=course_id)
        delete_unless_used(course, hint=_("Mark it inactive instead."))


def _refuse_prerequisite_cycle(course: Course, prerequisites: Sequence[Course]) -> None:
    through = Course.prerequisites.through
    frontier = {p.pk for p in prerequisites}
    seen: set[int] = set()
    while frontier:
        if course.pk in frontier:
            message = _("A course cannot require itself, directly or through its prerequisites.")
            raise RuleViolation(message, fields={"prerequisites": [message]})
        seen |= frontier
        frontier = (
            set(
                through.objects.filter(from_course_id__in=frontier).values_list(
                    "to_course_id", flat=True
                )
            )
            - seen
        )
