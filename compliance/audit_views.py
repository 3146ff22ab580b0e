"""The audit log's pages: the log itself (auditors and coordinators, read-only), and an
object's history where the object is shown: the session page (added through
scheduling.page_extensions), each management edit page (the `object_history` template tag),
a registration on the roster (loaded when opened, `object_history_fragment`) and the learner
record. One selector (`audit_selectors.object_histories`), one partial
(compliance/partials/history.html), one way to describe entries (`History`)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from attendance.learner_accounts import learner_list
from compliance.audit import model_label, model_labels
from compliance.audit_selectors import (
    HistoryKey,
    audit_entry_list,
    audited_types,
    object_histories,
)
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


def _link_learners(entries: list[AuditEntry]) -> None:
    """Entries about a learner's account link to the learner's record (one query)."""
    users = {e.object_pk for e in entries if e.table_name == User._meta.db_table}
    pks = [int(pk) for pk in users if pk.isdigit()]
    learners = {str(pk) for pk in learner_list().filter(pk__in=pks).values_list("pk", flat=True)}
    for entry in entries:
        if entry.table_name == User._meta.db_table and entry.object_pk in learners:
            entry.learner_id = int(entry.object_pk)  # type: ignore[attr-defined]


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
    _link_learners(entries)
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


HISTORY_SIZE = 20


@dataclass(frozen=True)
class History:
    """What compliance/partials/history.html shows of one object (or of several, `mixed`,
    where each entry names its object): its newest entries, described, and the link to the
    rest of them in the log."""

    entries: list[AuditEntry]
    log_url: str
    zone: zoneinfo.ZoneInfo
    mixed: bool = False


def log_url(table: str, object_pk: int | str) -> str:
    """The audit log filtered to one object."""
    query = urlencode({"object_type": table, "object_id": str(object_pk)})
    return f"{reverse('compliance:audit-log')}?{query}"


def may_read_history(user: Any) -> bool:
    return can(user, "audit_log", "list")


def histories_for(
    zone: zoneinfo.ZoneInfo, keys: Iterable[tuple[str, int | str]], *, limit: int = HISTORY_SIZE
) -> dict[HistoryKey, History]:
    """A `History` per (table, pk), one query for all of them. The caller checks
    `may_read_history` first."""
    wanted = [(table, str(pk)) for table, pk in keys]
    found = object_histories(wanted, limit=limit)
    histories = {}
    for key in wanted:
        entries = found.get(key, [])
        _describe(entries)
        histories[key] = History(entries=entries, log_url=log_url(*key), zone=zone)
    return histories


def combined_history(
    zone: zoneinfo.ZoneInfo,
    keys: Iterable[tuple[str, int | str]],
    *,
    log_url: str,
    limit: int = 50,
) -> History:
    """The newest `limit` entries over several objects (a learner, their registrations and
    certificates), each naming its object: the same one query as `histories_for`."""
    found = object_histories([(table, str(pk)) for table, pk in keys], limit=limit)
    entries = sorted((e for rows in found.values() for e in rows), key=lambda e: -e.pk)[:limit]
    _describe(entries)
    return History(entries=entries, log_url=log_url, zone=zone, mixed=True)


def history_of(request: HttpRequest, obj: Any) -> History | None:
    """The history of one model instance for its page; None for those who may not read the
    log (the page then shows no History at all)."""
    if obj is None or obj.pk is None or not may_read_history(request.user):
        return None
    key = (obj._meta.db_table, str(obj.pk))
    return histories_for(viewer_zone(request), [key])[key]


def session_history_context(request: HttpRequest, session: Session) -> dict[str, Any]:
    """The session's own audit entries for its page, for those who may read the log."""
    history = history_of(request, session)
    return {} if history is None else {"history": history}


@require_GET
@policy_required("audit_log", "list")
def object_history_fragment(request: HttpRequest, table: str, pk: str) -> HttpResponse:
    """One object's history, alone: what an expanded row (a registration on the roster)
    loads when it is opened, so the roster costs no query per row."""
    if table not in model_labels() or len(pk) > 64 or "\x00" in pk:
        raise Http404
    key = (table, pk)
    history = histories_for(viewer_zone(request), [key])[key]
    return render(request, "compliance/partials/history.html", {"history": history})
