"""The single API error shape: every error, ours and DRF's, rendered the same way.

Kept apart from tms/exceptions.py so that domain code never imports DRF (and DRF's settings
never import domain code while apps load).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

from tms.exceptions import DomainError


def field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF error detail → flat {"blocks[0].starts_at": [...]}, list positions in brackets.

    DRF 3.18 reports errors of list items as {index: ...}; the services name fields
    "blocks[0].room", so both read the same to a client.
    """
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            fields.update(field_errors(value, path))
        return fields
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        fields = {}
        for index, item in enumerate(detail):
            fields.update(field_errors(item, f"{prefix}[{index}]"))
        return fields
    messages = [str(m) for m in detail] if isinstance(detail, list) else [str(detail)]
    return {prefix or "non_field_errors": messages}


class BodyTooLarge(drf_exceptions.APIException):
    """The body is over DATA_UPLOAD_MAX_MEMORY_SIZE: Django refused to read it."""

    status_code = 413
    default_code = "too_large"

    def __init__(self) -> None:
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        super().__init__(_("The request body is larger than %s MB.") % f"{megabytes:g}")


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every API error in one shape (see module docstring)."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = drf_exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge()
    elif isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        exc = drf_exceptions.ParseError(_("A body may hold at most %d fields.") % limit)
    elif isinstance(exc, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        exc = drf_exceptions.ParseError(_("A body may hold at most %d files.") % limit)

    response = drf_default_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        fields = field_errors(exc.detail)
        first = next((messages[0] for messages in fields.values() if messages), "Invalid input.")
        response.data = {"code": "invalid", "message": first, "fields": fields}
    elif isinstance(exc, drf_exceptions.APIException):
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else "Request failed."
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = {"code": code, "message": message, "fields": {}}
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 for a URL no route matches: under /api/ in the API's error shape, elsewhere
    the 404 page."""
    if request.path.startswith("/api/"):
        body = {"code": "not_found", "message": str(drf_exceptions.NotFound.default_detail)}
        return JsonResponse({**body, "fields": {}}, status=404)
    return defaults.page_not_found(request, exception)
