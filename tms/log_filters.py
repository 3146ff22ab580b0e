"""Logging filters (settings LOGGING)."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Drop the traceback from django.request records of 4xx responses.

    Django logs a PermissionDenied raised in a view (and a body it cannot parse) with the
    exception attached: one 403 became a 30-line traceback at WARNING. A refusal is the policy
    working; its one line (status, path) says all there is. 5xx records keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
