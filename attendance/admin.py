"""Registrations are changed only through attendance services (seat counts, messages): the
admin shows them read-only, with useful lists, filters and search."""

from __future__ import annotations

from django.contrib import admin

from attendance.models import (
    CourseWaitlistEntry,
    Registration,
    RosterMessage,
    WaitlistMove,
    WaitlistPromotion,
)
from tms.admin import ViewOnlyMixin


@admin.register(Registration)
class RegistrationAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "learner",
        "session",
        "status",
        "source",
        "waitlist_rank",
        "offer_expires_at",
        "late_cancellation",
        "created_at",
    ]
    list_filter = ["status", "source", "late_cancellation", "session__course"]
    search_fields = ["learner__username", "learner__email", "session__course__code"]
    list_select_related = ["learner", "session__course"]
    date_hierarchy = "created_at"


@admin.register(WaitlistMove)
class WaitlistMoveAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "registration",
        "from_position",
        "to_position",
        "moved_by",
        "reason",
        "created_at",
    ]
    search_fields = ["reason", "registration__learner__email"]
    list_select_related = ["registration__learner", "moved_by"]


@admin.register(CourseWaitlistEntry)
class CourseWaitlistEntryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["learner", "course", "status", "waitlist_rank", "created_at"]
    list_filter = ["status", "course"]
    search_fields = ["learner__email", "course__code"]
    list_select_related = ["learner", "course"]


@admin.register(WaitlistPromotion)
class WaitlistPromotionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "registration",
        "from_position",
        "status",
        "promoted_by",
        "reason",
        "created_at",
    ]
    search_fields = ["reason", "registration__learner__email"]
    list_select_related = ["registration__learner", "promoted_by"]


@admin.register(RosterMessage)
class RosterMessageAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["session", "subject", "audience", "sent_by", "created_at"]
    search_fields = ["subject", "body", "session__course__code"]
    list_select_related = ["session__course", "sent_by"]
    filter_horizontal = ["recipients"]
