"""Shared API plumbing: the base of every API view, the documented error body, and input
fields that keep bad values away from PostgreSQL.

- `PolicyMixin`: every API view inherits it; `tms.permissions.PolicyPermission` reads its
  `policy_resource` / `policy_actions`; `TmsAutoSchema` documents the error body (400, 403,
  404, 409) on every operation.
- `ErrorSerializer`: the one error shape produced by `tms.exceptions.api_exception_handler`.
- Fields: aware date-times only (naive, out-of-range or beyond ±15:59 offsets are a 400),
  ids within bigint range, IANA time zones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_choice_description_list
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from tms.api_errors import field_errors
from tms.permissions import Scope
from tms.validators import validate_time_zone

M = TypeVar("M", bound=Model)


# --- Errors, in the one shape of tms.exceptions ------------------------------------------------


class ConflictSerializer(serializers.Serializer):
    """What a conflict names: the resource and the session (and block) already holding it."""

    resource = serializers.CharField(help_text="room, host_account or instructor")
    resource_id = serializers.IntegerField()
    resource_name = serializers.CharField()
    session_id = serializers.IntegerField()
    course_code = serializers.CharField()
    course_title = serializers.CharField()
    block_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class ErrorSerializer(serializers.Serializer):
    """Every API error: 400 bad input or broken rule, 403, 404, 409 conflict or busy."""

    code = serializers.CharField(help_text="Machine-readable: invalid, conflict, not_found...")
    message = serializers.CharField(help_text="The first problem, ready to show.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages per input field, e.g. {"blocks[0].room": ["..."]}.',
    )
    conflicts = ConflictSerializer(
        many=True, required=False, help_text="For 409 conflicts: what is already booked."
    )
    extra = serializers.DictField(
        required=False,
        help_text="Machine-readable details some errors add, e.g. prerequisites_missing: "
        '{"missing": [ids of the courses to complete first]}.',
    )


ERROR_RESPONSES = {
    "400": "Bad input (field messages), JSON that cannot be read (`parse_error`: malformed, "
    "nested more than 64 levels, not UTF-8) or a broken rule.",
    "403": "Not signed in, or the role does not allow this.",
    "404": "No such object, or not visible to the caller.",
    "409": "Conflict: already booked (see `conflicts`), not allowed in this state, or busy.",
}
# Only where the operation takes a body: Django refuses to read one over the limit.
BODY_TOO_LARGE = "The request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default)."


class TmsAutoSchema(AutoSchema):
    """Tags by resource; the shared error body documented for 400/403/404/409 everywhere, and
    for 413 on operations that take a body."""

    def get_tags(self) -> list[str]:
        tokens = [t for t in self._tokenize_path() if t != "v1"]
        return tokens[:1]

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation and "requestBody" in operation:
            operation["responses"].setdefault(
                "413",
                self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=BODY_TOO_LARGE), "413"
                ),
            )
        return operation

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status, description in ERROR_RESPONSES.items():
            responses.setdefault(
                status,
                self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description),
                    status,
                    direction=direction,
                ),
            )
        return responses


class PolicyMixin:
    """Base of every API view: permission from the policy table, errors in the schema.

    Subclasses set `policy_resource` and `policy_actions` (HTTP method → action) and, where a
    scope is "own" or "published", override `policy_owns` / `policy_published`.
    """

    policy_resource: ClassVar[str]
    policy_actions: ClassVar[Mapping[str, str]]
    policy_scope: Scope
    schema = TmsAutoSchema()
    http_method_names: ClassVar[list[str]] = ["get", "post", "patch", "delete", "head"]

    request: Request

    def policy_owns(self, obj: Any) -> bool:
        return False

    def policy_published(self, obj: Any) -> bool:
        return False

    def validated(self, serializer_class: type[serializers.Serializer], **kwargs: Any) -> Any:
        """The request body checked by an input serializer (400 with field messages)."""
        return validated(serializer_class, self.request.data, **kwargs)

    def get_visible(self, queryset: QuerySet[M], **lookup: Any) -> M:
        """One object from a permission-aware queryset: outside it means 404."""
        try:
            obj = queryset.get(**lookup)
        except ObjectDoesNotExist:
            raise NotFound() from None
        self.check_object_permissions(self.request, obj)  # type: ignore[attr-defined]
        return obj


def validated(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> Any:
    """`data` checked by an input serializer; errors keyed like the services' ("blocks[0].room")."""
    serializer = serializer_class(data=data, **kwargs)
    if not serializer.is_valid():
        raise serializers.ValidationError(field_errors(serializer.errors))
    return serializer.validated_data


# --- Input fields that keep bad values away from PostgreSQL ----------------------------------

MAX_ID = 2**63 - 1  # bigint primary keys
MAX_OFFSET = dt.timedelta(hours=15, minutes=59)  # PostgreSQL refuses larger UTC offsets
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)
EXAMPLE_MOMENT = "2030-03-04T09:00:00+01:00"


def parse_aware_datetime(value: object) -> dt.datetime:
    """An ISO-8601 date-time with a UTC offset, returned in UTC; ValueError says what is wrong.

    Naive values are refused rather than guessed: a session time without an offset is
    ambiguous. The range keeps arithmetic (room buffers, week starts) far from year 1 and 9999.
    """
    if not isinstance(value, str):
        raise ValueError(_("Enter a date and time as text, e.g. %s.") % EXAMPLE_MOMENT)
    if "\x00" in value:
        raise ValueError(_("Null characters are not allowed."))
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            _("Enter an ISO-8601 date and time with a UTC offset, e.g. %s.") % EXAMPLE_MOMENT
        ) from None
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(
            _("Add a UTC offset (e.g. +01:00 or Z): %s has no time zone.") % value.strip()
        )
    if abs(offset) > MAX_OFFSET:
        raise ValueError(_("UTC offsets range from -15:59 to +15:59."))
    try:
        utc: dt.datetime | None = moment.astimezone(dt.UTC)
    except OverflowError:  # year 1 or 9999 pushed over the edge by the offset
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(_("Dates must lie between the years 1900 and 2999."))
    return utc


class AwareDateTimeField(serializers.DateTimeField):
    """A date-time that must carry a UTC offset (stored in UTC)."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        try:
            return parse_aware_datetime(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error), code="invalid") from None


@extend_schema_field(
    {
        "type": "string",
        "description": "An ISO-8601 interval start/end, both with a UTC offset.",
        "example": "2030-03-04T09:00:00+01:00/2030-03-04T12:00:00+01:00",
    }
)
class IntervalField(serializers.Field):
    """ "start/end" (ISO-8601 interval of two aware date-times) → (start, end)."""

    def to_internal_value(self, data: Any) -> tuple[dt.datetime, dt.datetime]:
        if not isinstance(data, str) or data.count("/") != 1:
            raise serializers.ValidationError(
                _("Give an interval as start/end, e.g. %(a)s/%(b)s.")
                % {"a": EXAMPLE_MOMENT, "b": "2030-03-04T12:00:00+01:00"}
            )
        start_text, end_text = data.split("/")
        try:
            start, end = parse_aware_datetime(start_text), parse_aware_datetime(end_text)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        if end <= start:
            raise serializers.ValidationError(_("An interval must end after it starts."))
        return start, end

    def to_representation(self, value: tuple[dt.datetime, dt.datetime]) -> str:
        return f"{value[0].isoformat()}/{value[1].isoformat()}"


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
        "description": "A local wall-clock time, HH:MM or HH:MM:SS.",
        "example": "09:00:00",
    }
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time without a zone (the zone comes from the session or instructor).

    Documented by a pattern: OpenAPI's "time" format means an RFC 3339 time with an offset.
    """


def related(queryset: Any, **kwargs: Any) -> serializers.PrimaryKeyRelatedField:
    """A foreign key by id: unknown ids are a 400 and huge or fractional ids never reach SQL."""
    return serializers.PrimaryKeyRelatedField(
        queryset=queryset,
        pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        **kwargs,
    )


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class TimeZoneField(serializers.CharField):
    """An IANA zone name such as Europe/Paris."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        self.validators.append(validate_time_zone)


class EnumField(serializers.ChoiceField):
    """A choice field documented as a named enum component (SessionStatus, RoomFeature...).

    Naming each choice set once keeps the schema free of drf-spectacular's guessed enum names
    (which collide when one field name, like "status", carries different choice sets).
    """

    def __init__(self, choices: Any, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(choices=choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> Any:
        field: EnumField = self.target
        values = list(field.choices)
        kind = "integer" if all(isinstance(v, int) for v in values) else "string"
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={
                "type": kind,
                "enum": values,
                "description": build_choice_description_list(field.choices.items()),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref
