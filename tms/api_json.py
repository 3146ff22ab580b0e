"""JSON in and out of the API, safe for any bytes a client sends.

`StrictJSONParser` is the API's JSON parser (settings REST_FRAMEWORK). Besides what DRF's
parser refuses, it refuses, as a 400 in the one error shape (tms.api_errors):

- nesting deeper than `MAX_DEPTH` (DRF's parser raises RecursionError, a 500, near 1,000
  levels; nothing the API accepts is deeper than a few);
- a lone surrogate (``"\\ud800"``) in any key or value. JSON may escape half of a UTF-16 pair
  on its own, but it is not a character: it cannot be encoded as UTF-8, so it would break the
  renderer echoing it in an error message, or PostgreSQL storing it. Escaped pairs
  (``"\\ud83c\\udf93"``) decode to one character and are kept.

Bodies above DATA_UPLOAD_MAX_MEMORY_SIZE never get here: Django refuses to read them and the
exception handler answers 413.

`SafeJSONRenderer` is the belt to those braces: should a surrogate still reach a response, it
is rendered as U+FFFD instead of failing.
"""

from __future__ import annotations

import re
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.utils import json

MAX_DEPTH = 64
SURROGATES = re.compile("[\ud800-\udfff]")
# In JSON text a surrogate can only arrive escaped (strict UTF-8 decoding refuses the raw
# bytes), so a body without this pattern needs no search for one.
ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


class StrictJSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing deep nesting and lone surrogates (see module docstring)."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError:
            raise ParseError(too_deep()) from None
        except ValueError as error:  # also UnicodeDecodeError: bytes that are not the charset
            raise ParseError(_("JSON parse error - %s") % error) from None
        check_depth(data)
        if ESCAPED_SURROGATE.search(text):
            refuse_surrogates(data)
        return data


def too_deep() -> str:
    return _("JSON nested more than %(max)d levels deep.") % {"max": MAX_DEPTH}


def check_depth(data: Any) -> None:
    """ParseError if arrays and objects nest deeper than MAX_DEPTH (level by level, no
    recursion)."""
    level, depth = [data], 0
    while level:
        containers = [value for value in level if isinstance(value, dict | list)]
        if not containers:
            return
        depth += 1
        if depth > MAX_DEPTH:
            raise ParseError(too_deep())
        level = [
            child
            for container in containers
            for child in (container.values() if isinstance(container, dict) else container)
        ]


def refuse_surrogates(data: Any, path: str = "") -> None:
    """ValidationError naming the first key or value holding a lone surrogate.

    Recursive: call after `check_depth`. A key holding one is reported on its object's path,
    so the error never echoes the surrogate.
    """
    if isinstance(data, str):
        found = SURROGATES.search(data)
        if found:
            raise _surrogate_error(path, found.group())
    elif isinstance(data, list):
        for index, item in enumerate(data):
            refuse_surrogates(item, f"{path}[{index}]")
    elif isinstance(data, dict):
        for key, value in data.items():
            found = SURROGATES.search(key)
            if found:
                raise _surrogate_error(path, found.group())
            refuse_surrogates(value, f"{path}.{key}" if path else key)


def _surrogate_error(path: str, surrogate: str) -> ValidationError:
    message = _(
        "Text must be valid Unicode: U+%(code)04X is half of a surrogate pair on its own."
    ) % {"code": ord(surrogate)}
    return ValidationError({path or "non_field_errors": [message]}, code="invalid")


class SafeJSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer; a lone surrogate in the data becomes U+FFFD instead of a 500."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            # Whatever the data held (lazy text, error details...), its ASCII rendering reads
            # back as plain lists, dicts and strings, in which surrogates can be replaced.
            escaped = _AsciiJSONRenderer().render(data, None, {})
            plain = _replace_surrogates(json.loads(escaped.decode("ascii")))
            return super().render(plain, accepted_media_type, renderer_context)


class _AsciiJSONRenderer(renderers.JSONRenderer):
    ensure_ascii = True


def _replace_surrogates(data: Any) -> Any:
    if isinstance(data, str):
        return SURROGATES.sub("\ufffd", data)
    if isinstance(data, list):
        return [_replace_surrogates(item) for item in data]
    if isinstance(data, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in data.items()}
    return data
