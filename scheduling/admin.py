"""Admin for courses, sessions, blocks, assignments and bookings.

Courses are catalogue data and are edited here. Sessions, their blocks, instructor assignments
and the booking rows are view-only: every change to them goes through `scheduling.services`,
which lock the session, check rooms, host accounts and instructors for conflicts and keep the
booking rows (the exclusion-constrained `tstzrange`s) in step with the blocks. Editing a block
here would move it without moving its bookings, so the admin only shows them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scheduling.models import (
    Course,
    FeedFetch,
    FeedToken,
    HostAccountBooking,
    InstructorAssignment,
    InstructorBooking,
    RoomBooking,
    Session,
    SessionBlock,
)
from tms.admin import ViewOnlyMixin
from venues.admin import ChoiceArrayAdminMixin


def format_range(during: DateTimeTZRange | None) -> str:
    """`2026-03-02 08:30 → 12:45 UTC`, in the admin's time zone."""
    if during is None or during.lower is None or during.upper is None:
        return "-"
    lower, upper = timezone.localtime(during.lower), timezone.localtime(during.upper)
    upper_format = "%H:%M %Z" if lower.date() == upper.date() else "%Y-%m-%d %H:%M %Z"
    return f"{lower:%Y-%m-%d %H:%M} → {upper.strftime(upper_format)}"


class ViewOnlyInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    select_related: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related(*self.select_related)


# --- Inlines -------------------------------------------------------------------------------


class SessionBlockInline(ViewOnlyInline):
    model = SessionBlock
    fields = ["starts_at", "ends_at", "status", "room", "cancellation_reason"]
    readonly_fields = fields
    select_related = ("room__site",)
    show_change_link = True


class InstructorAssignmentInline(ViewOnlyInline):
    model = InstructorAssignment
    fields = ["instructor", "role"]
    readonly_fields = fields
    select_related = ("instructor__user",)


class BookingInline(ViewOnlyInline):
    @admin.display(description=_("held"))
    def period(self, obj: RoomBooking | HostAccountBooking | InstructorBooking) -> str:
        return format_range(obj.during)


class RoomBookingInline(BookingInline):
    model = RoomBooking
    fields = ["block", "room", "period"]
    readonly_fields = fields
    select_related = ("block", "room__site")
    verbose_name_plural = _("room bookings (setup and teardown buffers included)")


class HostAccountBookingInline(BookingInline):
    model = HostAccountBooking
    fields = ["block", "host_account", "period"]
    readonly_fields = fields
    select_related = ("block", "host_account")


class InstructorBookingInline(BookingInline):
    model = InstructorBooking
    fields = ["block", "instructor", "assignment", "period"]
    readonly_fields = fields
    select_related = ("block", "instructor__user", "assignment__instructor__user")


# --- Courses -------------------------------------------------------------------------------


@admin.register(Course)
class CourseAdmin(ChoiceArrayAdminMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "title",
        "default_duration_minutes",
        "default_capacity",
        "modes",
        "active",
    ]
    list_filter = ["active"]
    search_fields = ["code", "title", "description"]
    autocomplete_fields = ["prerequisites"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description=_("delivery modes"))
    def modes(self, obj: Course) -> str:
        return ", ".join(obj.delivery_modes)


# --- Sessions and blocks (view-only) -------------------------------------------------------


@admin.register(Session)
class SessionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "course",
        "delivery_mode",
        "status",
        "starts_at",
        "ends_at",
        "time_zone",
        "capacity",
        "host_account",
    ]
    list_display_links = ["id", "course"]
    list_filter = ["status", "delivery_mode", "time_zone", "course"]
    list_select_related = ["course", "host_account"]
    search_fields = ["=id", "course__code", "course__title", "notes"]
    date_hierarchy = "starts_at"
    inlines = [
        SessionBlockInline,
        InstructorAssignmentInline,
        RoomBookingInline,
        HostAccountBookingInline,
        InstructorBookingInline,
    ]


@admin.register(SessionBlock)
class SessionBlockAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "session", "starts_at", "ends_at", "status", "room"]
    list_filter = ["status", "room__site"]
    list_select_related = ["session__course", "room__site"]
    search_fields = ["=session__id", "session__course__code", "room__name"]
    date_hierarchy = "starts_at"
    inlines = [RoomBookingInline, HostAccountBookingInline, InstructorBookingInline]


@admin.register(InstructorAssignment)
class InstructorAssignmentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["session", "instructor", "role"]
    list_filter = ["role"]
    list_select_related = ["session__course", "instructor__user"]
    search_fields = [
        "=session__id",
        "session__course__code",
        "instructor__user__username",
        "instructor__user__last_name",
    ]


# --- Bookings (view-only: written only by the scheduling services) -------------------------


class BookingAdmin(ViewOnlyMixin, admin.ModelAdmin):
    ordering = ["-pk"]

    @admin.display(description=_("held"), ordering="during")
    def period(self, obj: RoomBooking | HostAccountBooking | InstructorBooking) -> str:
        return format_range(obj.during)


@admin.register(RoomBooking)
class RoomBookingAdmin(BookingAdmin):
    list_display = ["id", "room", "session", "block", "period"]
    list_filter = ["room__site", "room"]
    list_select_related = ["room__site", "session__course", "block"]
    search_fields = ["=session__id", "session__course__code", "room__name", "room__site__name"]
    fields = ["session", "block", "room", "period"]
    readonly_fields = fields


@admin.register(HostAccountBooking)
class HostAccountBookingAdmin(BookingAdmin):
    list_display = ["id", "host_account", "session", "block", "period"]
    list_filter = ["host_account"]
    list_select_related = ["host_account", "session__course", "block"]
    search_fields = ["=session__id", "session__course__code", "host_account__name"]
    fields = ["session", "block", "host_account", "period"]
    readonly_fields = fields


@admin.register(InstructorBooking)
class InstructorBookingAdmin(BookingAdmin):
    list_display = ["id", "instructor", "session", "block", "period"]
    list_filter = ["assignment__role"]
    list_select_related = ["instructor__user", "session__course", "block"]
    search_fields = [
        "=session__id",
        "session__course__code",
        "instructor__user__username",
        "instructor__user__last_name",
    ]
    fields = ["session", "block", "instructor", "assignment", "period"]
    readonly_fields = fields


@admin.register(FeedToken)
class FeedTokenAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Calendar subscription tokens (the hash only): issued and revoked on the Calendar
    subscriptions page, through scheduling/services/feed_tokens.py."""

    list_display = ["id", "kind", "hint", "instructor", "learner", "room", "site", "revoked_at"]
    list_filter = ["kind"]
    list_select_related = ["instructor__user", "learner", "room__site", "site"]
    fields = [
        "kind",
        "hint",
        "instructor",
        "learner",
        "room",
        "site",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields


@admin.register(FeedFetch)
class FeedFetchAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Every fetch of a calendar feed: who (the token's owner), when, from where."""

    list_display = ["fetched_at", "token", "status_code", "client_ip", "user_agent"]
    list_filter = ["status_code", "token__kind"]
    list_select_related = ["token"]
    date_hierarchy = "fetched_at"
    fields = ["token", "fetched_at", "status_code", "client_ip", "user_agent"]
    readonly_fields = fields
