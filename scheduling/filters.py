"""Query filters for course, session and assignment lists."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, QuerySet

from scheduling.models import (
    Course,
    DeliveryMode,
    InstructorAssignment,
    Session,
    SessionBlock,
    SessionStatus,
)
from venues.filters import AwareDateTimeFilter, IdFilter


class CourseFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter()
    delivery_mode = django_filters.ChoiceFilter(
        choices=DeliveryMode.choices, method="filter_delivery_mode"
    )

    class Meta:
        model = Course
        fields = ["active", "delivery_mode"]

    def filter_delivery_mode(self, queryset: QuerySet[Course], name: str, value: str) -> Any:
        return queryset.filter(delivery_modes__contains=[value])


class SessionFilter(django_filters.FilterSet):
    """Date range on the first block's start; instructor/room/site match any block or
    assignment (as subqueries, so a session is listed once and the query count is fixed)."""

    starts_after = AwareDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = AwareDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    course = IdFilter(field_name="course_id")
    instructor = IdFilter(method="filter_instructor")
    room = IdFilter(method="filter_room")
    site = IdFilter(method="filter_site")
    status = django_filters.ChoiceFilter(choices=SessionStatus.choices)
    delivery_mode = django_filters.ChoiceFilter(choices=DeliveryMode.choices)

    class Meta:
        model = Session
        fields = [
            "starts_after",
            "starts_before",
            "course",
            "instructor",
            "room",
            "site",
            "status",
            "delivery_mode",
        ]

    def filter_instructor(self, queryset: QuerySet[Session], name: str, value: int) -> Any:
        teaching = InstructorAssignment.objects.filter(session=OuterRef("pk"), instructor_id=value)
        return queryset.filter(Exists(teaching))

    def filter_room(self, queryset: QuerySet[Session], name: str, value: int) -> Any:
        return queryset.filter(
            Exists(SessionBlock.objects.filter(session=OuterRef("pk"), room_id=value))
        )

    def filter_site(self, queryset: QuerySet[Session], name: str, value: int) -> Any:
        return queryset.filter(
            Exists(SessionBlock.objects.filter(session=OuterRef("pk"), room__site_id=value))
        )


class AssignmentFilter(django_filters.FilterSet):
    session = IdFilter(field_name="session_id")
    instructor = IdFilter(field_name="instructor_id")
    starts_after = AwareDateTimeFilter(field_name="session__starts_at", lookup_expr="gte")

    class Meta:
        model = InstructorAssignment
        fields = ["session", "instructor", "starts_after"]
