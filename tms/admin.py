from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tms.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "time_zone", "updated_at"]
    list_filter = ["time_zone"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


class ViewOnlyMixin:
    """Rows written only by services: visible in the admin, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
