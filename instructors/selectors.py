"""Reads for instructors, narrowed to what the caller's policy scope covers."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, QuerySet

from instructors.models import Instructor, Qualification, Unavailability, WorkingHours
from tms.permissions import Scope

User = AbstractBaseUser | AnonymousUser


def instructor_list(*, user: User, scope: Scope) -> QuerySet[Instructor]:
    """Profiles with their qualifications and working hours: all, or only the user's own."""
    people = Instructor.objects.select_related("user").prefetch_related(
        Prefetch(
            "qualifications",
            queryset=Qualification.objects.select_related("course").order_by("course__code"),
        ),
        Prefetch("working_hours", queryset=WorkingHours.objects.order_by("weekday", "starts")),
    )
    if scope == Scope.ALL:
        return people.order_by("user__last_name", "user__first_name", "user__username", "pk")
    if scope == Scope.OWN and user.is_authenticated:
        return people.filter(user_id=user.pk).order_by("pk")
    return people.none()


def qualification_list(*, instructor: Instructor) -> QuerySet[Qualification]:
    return instructor.qualifications.select_related("course").order_by("course__code", "pk")


def working_hours_list(*, instructor: Instructor) -> QuerySet[WorkingHours]:
    return instructor.working_hours.order_by("weekday", "starts", "pk")


def unavailability_list(*, instructor: Instructor) -> QuerySet[Unavailability]:
    return instructor.unavailabilities.order_by("starts_at", "pk")
