"""Query filters for registration and any-date waitlist lists (within what the caller sees)."""

from __future__ import annotations

import django_filters

from attendance.models import CourseWaitlistEntry, Registration, RegistrationStatus
from venues.filters import IdFilter


class RegistrationFilter(django_filters.FilterSet):
    session = IdFilter(field_name="session_id")
    learner = IdFilter(field_name="learner_id")
    course = IdFilter(field_name="session__course_id")
    status = django_filters.ChoiceFilter(choices=RegistrationStatus.choices)

    class Meta:
        model = Registration
        fields = ["session", "learner", "course", "status"]


class CourseWaitlistFilter(django_filters.FilterSet):
    course = IdFilter(field_name="course_id")
    learner = IdFilter(field_name="learner_id")

    class Meta:
        model = CourseWaitlistEntry
        fields = ["course", "learner"]
