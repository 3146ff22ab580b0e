"""Query filters for venue lists, and filter types shared by the other apps' APIs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from tms.api import MAX_ID, parse_aware_datetime
from venues.models import HostAccount, Room, RoomClosure, RoomFeature, VirtualClassroomProvider


class AwareDateTimeFormField(forms.Field):
    """A query-string date-time with a UTC offset (see `parse_aware_datetime`)."""

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        try:
            return parse_aware_datetime(value)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeFilter(django_filters.Filter):
    field_class = AwareDateTimeFormField


@extend_schema_field(OpenApiTypes.INT64)
class IdFilter(django_filters.Filter):
    """An id in the query string; out-of-range values are a 400, not a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class CountFilter(django_filters.Filter):
    """A small non-negative whole number (capacities, minutes)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 1_000_000)
        super().__init__(*args, **kwargs)


class RoomFilter(django_filters.FilterSet):
    site = IdFilter(field_name="site_id")
    bookable = django_filters.BooleanFilter()
    min_capacity = CountFilter(field_name="capacity", lookup_expr="gte")
    features = django_filters.MultipleChoiceFilter(
        choices=RoomFeature.choices, method="filter_features"
    )

    class Meta:
        model = Room
        fields = ["site", "bookable", "min_capacity", "features"]

    def filter_features(self, queryset: Any, name: str, value: list[str]) -> Any:
        return queryset.filter(features__contains=list(value)) if value else queryset


class RoomClosureFilter(django_filters.FilterSet):
    room = IdFilter(field_name="room_id")
    site = IdFilter(field_name="room__site_id")
    ends_after = AwareDateTimeFilter(field_name="ends_at", lookup_expr="gt")
    starts_before = AwareDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = RoomClosure
        fields = ["room", "site", "ends_after", "starts_before"]


class HostAccountFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter()
    provider = django_filters.ChoiceFilter(choices=VirtualClassroomProvider.choices)

    class Meta:
        model = HostAccount
        fields = ["active", "provider"]
