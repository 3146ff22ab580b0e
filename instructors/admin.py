"""Admin for instructor profiles, qualifications, working hours and unavailability.

Instructor bookings are shown read-only in the scheduling admin: they are written only by the
scheduling services. Leave over booked blocks is refused here as in the services.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from instructors.models import Instructor, Qualification, Unavailability, WorkingHours
from instructors.services import refuse_absence_over_bookings
from tms.admin import ServiceRuleForm


class QualificationInline(admin.TabularInline):
    model = Qualification
    fields = ["course", "expires_on"]
    autocomplete_fields = ["course"]
    extra = 0


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    fields = ["weekday", "starts", "ends"]
    extra = 0


class UnavailabilityForm(ServiceRuleForm):
    def service_rule(self, instance: Unavailability) -> None:
        if instance.instructor_id is not None:
            refuse_absence_over_bookings(instance)


class UnavailabilityInline(admin.TabularInline):
    model = Unavailability
    form = UnavailabilityForm
    fields = ["kind", "starts_at", "ends_at", "note"]
    extra = 0


@admin.register(Instructor)
class InstructorAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "username",
        "home_time_zone",
        "weekly_hour_limit",
        "day_rate",
        "currency",
        "active",
    ]
    list_filter = ["active", "home_time_zone", "currency"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [QualificationInline, WorkingHoursInline, UnavailabilityInline]

    @admin.display(description=_("name"), ordering="user__last_name")
    def display_name(self, obj: Instructor) -> str:
        return obj.display_name

    @admin.display(description=_("username"), ordering="user__username")
    def username(self, obj: Instructor) -> str:
        return obj.user.get_username()


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["instructor", "course", "expires_on"]
    list_filter = ["course", ("expires_on", admin.EmptyFieldListFilter)]
    list_select_related = ["instructor__user", "course"]
    search_fields = [
        "instructor__user__username",
        "instructor__user__last_name",
        "course__code",
        "course__title",
    ]
    autocomplete_fields = ["instructor", "course"]
    date_hierarchy = "expires_on"
    readonly_fields = ["created_at", "updated_at"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["instructor", "weekday", "starts", "ends"]
    list_filter = ["weekday"]
    list_select_related = ["instructor__user"]
    search_fields = ["instructor__user__username", "instructor__user__last_name"]
    autocomplete_fields = ["instructor"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Unavailability)
class UnavailabilityAdmin(admin.ModelAdmin):
    form = UnavailabilityForm
    list_display = ["instructor", "kind", "starts_at", "ends_at", "note"]
    list_filter = ["kind"]
    list_select_related = ["instructor__user"]
    search_fields = ["instructor__user__username", "instructor__user__last_name", "note"]
    autocomplete_fields = ["instructor"]
    date_hierarchy = "starts_at"
    readonly_fields = ["created_at", "updated_at"]
