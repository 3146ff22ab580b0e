from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from tms.exceptions import DomainError
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


class ServiceRuleForm(forms.ModelForm):
    """An admin form that applies a service's rule to the row it would save (the admin writes
    rows directly, the services are not in the way): `service_rule(instance)` raises a
    DomainError, shown as a form error. Unlike the service, it holds no lock while checking."""

    def service_rule(self, instance: Any) -> None:
        raise NotImplementedError

    def _post_clean(self) -> None:
        super()._post_clean()  # the instance now carries the cleaned values
        if self.errors:
            return
        try:
            self.service_rule(self.instance)
        except DomainError as error:
            self.add_error(None, error.message)
