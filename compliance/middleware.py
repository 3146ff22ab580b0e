"""The request's audit context: who is acting, from which address, in which request.

After AuthenticationMiddleware. Sets nothing in the database itself: the context is sent with
the request's first write only (compliance/audit.py), so a read-only request (a calendar
feed's 304 among them) costs no query. The request id is the client's `X-Request-ID` when it
is well-formed (a proxy's or a client's id, so logs line up), else a new one; it is sent back
in the response's `X-Request-ID`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from compliance.audit import AuditContext, reset_context, set_context
from tms.client_address import client_ip

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def request_id_of(request: HttpRequest) -> str:
    offered = request.headers.get(HEADER, "")
    return offered if _WELL_FORMED.fullmatch(offered) else uuid.uuid4().hex


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        context = AuditContext(
            request_id=request_id,
            ip=client_ip(request) or "",
            request=f"{request.method} {request.path}",
            user=_LazyUser(request),
        )
        token = set_context(context)
        try:
            response = self.get_response(request)
        finally:
            reset_context(token)
        response[HEADER] = request_id
        return response


class _LazyUser:
    """The request's user as it is when read (DRF's token authentication sets it during the
    view; AuthenticationMiddleware's lazy session user is read only if something writes)."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @property
    def _user(self) -> Any:
        return getattr(self._request, "user", None)

    @property
    def is_authenticated(self) -> bool:
        return bool(getattr(self._user, "is_authenticated", False))

    @property
    def pk(self) -> Any:
        return getattr(self._user, "pk", None)

    def get_username(self) -> str:
        return str(self._user.get_username())
