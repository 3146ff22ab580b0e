"""Audit-log API shapes: the query (filters) and one entry."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from compliance.audit import model_label
from compliance.audit_selectors import table_of
from compliance.models import AuditAction, AuditEntry
from tms.api import AwareDateTimeField, EnumField, id_field


class AuditLogQuery(serializers.Serializer):
    object_type = serializers.CharField(
        max_length=100,
        required=False,
        help_text="A model label (scheduling.Session) or a table name (scheduling_session).",
    )
    object_id = serializers.CharField(max_length=64, required=False)
    user = id_field(required=False, help_text="The acting user's id.")
    actor = serializers.CharField(
        max_length=200,
        required=False,
        help_text='A username, "worker:<task>" or "system:<command>".',
    )
    action = EnumField(AuditAction.choices, enum_name="AuditAction", required=False)
    since = AwareDateTimeField(required=False)
    until = AwareDateTimeField(required=False)

    def validate_object_type(self, value: str) -> str:
        table = table_of(value)
        if table is None:
            raise serializers.ValidationError(_("Not a known object type."))
        return table

    def validate_object_id(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError(_("Null characters are not allowed."))
        return value

    def validate_actor(self, value: str) -> str:
        return self.validate_object_id(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and until <= since:
            raise serializers.ValidationError({"until": [_("Must be after since.")]})
        return attrs


class AuditEntryOutput(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()
    before = serializers.JSONField()
    after = serializers.JSONField()
    changed = serializers.ListField(child=serializers.CharField(), allow_null=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "seq",
            "object_type",
            "table_name",
            "object_pk",
            "action",
            "before",
            "after",
            "changed",
            "occurred_at",
            "user_id",
            "actor",
            "request_id",
            "client_ip",
            "request",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields

    def get_object_type(self, entry: AuditEntry) -> str:
        return model_label(entry.table_name)
