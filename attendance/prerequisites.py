"""The one rule for "has this learner met a course's prerequisites?", read for many courses
at once: the seat services refuse with it (`registration_create`), and the catalog and the
session page show what is missing, with a link to that course's upcoming sessions, instead of
a Register button that would end in an error.

A prerequisite is met only by a completed `Completion` of one of its sessions (sign-off
derives them from attendance by the course's rule). A session's status says nothing about a
learner: a completed session with no outcome recorded for them meets nothing, and a "not
completed" outcome never does.
"""

from __future__ import annotations

from collections.abc import Iterable

from attendance.models import CompletionStatus, Registration
from scheduling.models import Course

Prerequisites = Course.prerequisites.through


def missing_prerequisites(learner_id: int, course_ids: Iterable[int]) -> dict[int, list[Course]]:
    """For each course, the prerequisites the learner has not met yet (ordered by code); a
    course with none missing is absent. Two queries whatever the number of courses (one when
    none of them has prerequisites)."""
    links = list(
        Prerequisites.objects.filter(from_course_id__in=list(course_ids))
        .select_related("to_course")
        .order_by("to_course__code", "to_course_id")
    )
    if not links:
        return {}
    required = {link.to_course_id for link in links}
    done = set(
        Registration.objects.filter(
            learner_id=learner_id,
            session__course_id__in=required,
            completion__status=CompletionStatus.COMPLETED,
        ).values_list("session__course_id", flat=True)
    )
    missing: dict[int, list[Course]] = {}
    for link in links:
        if link.to_course_id not in done:
            missing.setdefault(link.from_course_id, []).append(link.to_course)
    return missing
