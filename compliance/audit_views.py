"""The audit log's pages: the log itself (auditors and coordinators, read-only) and the
"History" section of the session page (added through scheduling.page_extensions)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from compliance.audit import model_label
from compliance.audit_selectors import audit_entry_list, audited_types, object_history
from compliance.models import AuditAction, AuditEntry
from scheduling.models import Session
from tms.views import can, policy_required, viewer_zone

PAGE_SIZE = 50


class AuditLogFilterForm(forms.Form):
    object_type = forms.ChoiceField(label=gettext_lazy("Object type"), required=False)
    object_id = forms.CharField(label=gettext_lazy("Object id"), required=False, max_length=64)
    actor = forms.CharField(
        label=gettext_lazy("User"),
        required=False,
        max_length=200,
        help_text=gettext_lazy('A username, or "worker:…" / "system:…".'),
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=[("", gettext_lazy("Any")), *AuditAction.choices],
        required=False,
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [  # type: ignore[attr-defined]
            ("", gettext_lazy("Any")),
            *[(table, label) for label, table in audited_types()],
        ]

    def clean_object_id(self) -> str:
        value: str = self.cleaned_data["object_id"].strip()
        if "\x00" in value:
            raise forms.ValidationError(gettext_lazy("Null characters are not allowed."))
        return value

    def clean_actor(self) -> str:
        value: str = self.cleaned_data["actor"].strip()
        if "\x00" in value:
            raise forms.ValidationError(gettext_lazy("Null characters are not allowed."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", gettext_lazy("Must not be before From."))
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day and not 1900 <= day.year < 3000:
                self.add_error(name, gettext_lazy("Dates must lie between 1900 and 2999."))
        return data


def _describe(entries: list[AuditEntry]) -> None:
    """What a reader sees of each entry: the model's name and, per changed field, the value
    before and after (an update: only what changed; a create or delete: every field)."""
    for entry in entries:
        entry.label = model_label(entry.table_name)  # type: ignore[attr-defined]
        before, after = entry.before or {}, entry.after or {}
        names = entry.changed if entry.action == AuditAction.UPDATE else sorted(before or after)
        entry.changes = [  # type: ignore[attr-defined]
            (name, _show(before.get(name)), _show(after.get(name))) for name in names or []
        ]


def _show(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:199] + "…"


def _midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


@require_GET
@policy_required("audit_log", "list")
def audit_log(request: HttpRequest) -> HttpResponse:
    """The log, newest first, filtered; "Older" pages by the last id shown (no counting)."""
    zone = viewer_zone(request)
    form = AuditLogFilterForm(request.GET)
    entries: list[AuditEntry] = []
    older: int | None = None
    if form.is_valid():
        data = form.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        rows = audit_entry_list(
            table=data["object_type"] or None,
            object_pk=data["object_id"] or None,
            actor=data["actor"] or None,
            action=data["action"] or None,
            since=_midnight(start, zone) if start else None,
            until=_midnight(end + dt.timedelta(days=1), zone) if end else None,
            before_id=data.get("before"),
        )
        entries = list(rows[: PAGE_SIZE + 1])
        if len(entries) > PAGE_SIZE:
            entries = entries[:PAGE_SIZE]
            older = entries[-1].pk
    _describe(entries)
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "form": form,
        "entries": entries,
        "older": older,
        "query": query,
        "viewer_zone": zone,
        "first_page": not form.is_bound or not request.GET.get("before"),
    }
    template = (
        "compliance/partials/audit_results.html"
        if request.htmx and not request.htmx.history_restore_request  # type: ignore[attr-defined]
        else "compliance/audit_log.html"
    )
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def session_history_context(request: HttpRequest, session: Session) -> dict[str, Any]:
    """The session's own audit entries for its page, for those who may read the log."""
    if not can(request.user, "audit_log", "list"):
        return {}
    entries = object_history(table=Session._meta.db_table, object_pk=session.pk)
    _describe(entries)
    return {"audit_history": entries, "audit_zone": viewer_zone(request)}
