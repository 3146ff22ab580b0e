"""What other apps add to the scheduling pages, registered in their `AppConfig.ready()`:
attendance adds seats to the session list rows and the registration panel, roster and
waitlist to the session page. Scheduling depends on no app above it (see ARCHITECTURE)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from scheduling.models import Session

# (rows built by scheduling.views.session_rows, the viewer) -> the rows, extended
RowExtension = Callable[[list[Any], Any], list[Any]]
# (request, session) -> more context for scheduling/session_detail.html
DetailExtension = Callable[[HttpRequest, Session], dict[str, Any]]

_ROW_EXTENSIONS: list[RowExtension] = []
_DETAIL_EXTENSIONS: list[DetailExtension] = []


def extend_session_rows(extension: RowExtension) -> None:
    if extension not in _ROW_EXTENSIONS:
        _ROW_EXTENSIONS.append(extension)


def extend_session_detail(extension: DetailExtension) -> None:
    if extension not in _DETAIL_EXTENSIONS:
        _DETAIL_EXTENSIONS.append(extension)


def session_rows_extended(rows: list[Any], user: Any) -> list[Any]:
    for extension in _ROW_EXTENSIONS:
        rows = extension(rows, user)
    return rows


def session_detail_extended(request: HttpRequest, session: Session) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for extension in _DETAIL_EXTENSIONS:
        context.update(extension(request, session))
    return context
