"""Admin for sites, rooms, closures and virtual-classroom host accounts.

Room and host-account bookings are shown read-only in the scheduling admin: they are written
only by the scheduling services. Closures and buffer changes are refused over bookings here as
in the services (`ServiceRuleForm`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.postgres.fields import ArrayField
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tms.admin import ServiceRuleForm
from venues.models import HostAccount, Room, RoomClosure, Site
from venues.services import refuse_buffer_change, refuse_closure_over_bookings


class ChoiceArrayAdminMixin:
    """Edit an `ArrayField` of choices as checkboxes instead of comma-separated text."""

    def formfield_for_dbfield(
        self, db_field: Any, request: HttpRequest | None, **kwargs: Any
    ) -> forms.Field | None:
        if isinstance(db_field, ArrayField) and db_field.base_field.choices:
            return forms.MultipleChoiceField(
                choices=db_field.base_field.choices,
                widget=forms.CheckboxSelectMultiple,
                required=not db_field.blank,
                label=db_field.verbose_name.capitalize(),
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


class RoomForm(ServiceRuleForm):
    def service_rule(self, instance: Room) -> None:
        if instance.pk and {"setup_buffer_minutes", "teardown_buffer_minutes"} & set(
            self.changed_data
        ):
            refuse_buffer_change(instance, now=timezone.now())


class RoomClosureForm(ServiceRuleForm):
    def service_rule(self, instance: RoomClosure) -> None:
        if instance.room_id is not None:
            refuse_closure_over_bookings(instance)


class RoomInline(admin.TabularInline):
    model = Room
    form = RoomForm
    fields = [
        "name",
        "capacity",
        "setup_buffer_minutes",
        "teardown_buffer_minutes",
        "bookable",
    ]
    extra = 0
    show_change_link = True  # features and closures are edited on the room's own page


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "room_count"]
    list_filter = ["time_zone"]
    search_fields = ["name", "address"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [RoomInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Site]:
        return super().get_queryset(request).annotate(_room_count=Count("rooms"))

    @admin.display(description=_("rooms"), ordering="_room_count")
    def room_count(self, obj: Site) -> int:
        return obj._room_count  # type: ignore[attr-defined]


class RoomClosureInline(admin.TabularInline):
    model = RoomClosure
    form = RoomClosureForm
    fields = ["starts_at", "ends_at", "reason"]
    extra = 0


@admin.register(Room)
class RoomAdmin(ChoiceArrayAdminMixin, admin.ModelAdmin):
    form = RoomForm
    list_display = [
        "name",
        "site",
        "capacity",
        "feature_list",
        "setup_buffer_minutes",
        "teardown_buffer_minutes",
        "bookable",
    ]
    list_filter = ["bookable", "site"]
    list_select_related = ["site"]
    search_fields = ["name", "site__name"]
    autocomplete_fields = ["site"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [RoomClosureInline]

    @admin.display(description=_("features"))
    def feature_list(self, obj: Room) -> str:
        return ", ".join(obj.features)


@admin.register(RoomClosure)
class RoomClosureAdmin(admin.ModelAdmin):
    form = RoomClosureForm
    list_display = ["room", "starts_at", "ends_at", "reason"]
    list_filter = ["room__site"]
    list_select_related = ["room__site"]
    search_fields = ["reason", "room__name", "room__site__name"]
    autocomplete_fields = ["room"]
    date_hierarchy = "starts_at"
    readonly_fields = ["created_at", "updated_at"]


@admin.register(HostAccount)
class HostAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "provider", "base_url", "participant_limit", "active"]
    list_filter = ["provider", "active"]
    search_fields = ["name", "base_url"]
    readonly_fields = ["created_at", "updated_at"]
