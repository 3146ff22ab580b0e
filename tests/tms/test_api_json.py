"""The API's JSON parser and renderer on their own: the limits sit exactly where documented."""

from __future__ import annotations

import io
import json

import pytest
from rest_framework.exceptions import ParseError, ValidationError

from tms.api_json import MAX_DEPTH, SafeJSONRenderer, StrictJSONParser


def parse(text: str) -> object:
    return StrictJSONParser().parse(io.BytesIO(text.encode()), "application/json", {})


def test_nesting_up_to_the_limit_parses_and_one_level_more_is_refused():
    assert parse("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(ParseError, match="more than 64 levels"):
        parse("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_wide_bodies_are_not_deep():
    body = {"blocks": [{"room": i, "features": ["a", "b"]} for i in range(5000)]}

    assert parse(json.dumps(body)) == body


def test_an_escaped_backslash_before_u_d800_is_plain_text_not_a_surrogate():
    assert parse(r'{"note": "C:\\ud800"}') == {"note": "C:\\ud800"}


def test_a_lone_surrogate_is_refused_with_its_path():
    with pytest.raises(ValidationError) as refused:
        parse('{"blocks": [{"room": 1}, {"room": 2, "tags": ["ok", "\\udfff"]}]}')

    assert list(refused.value.detail) == ["blocks[1].tags[1]"]


def test_the_renderer_replaces_a_surrogate_it_cannot_encode():
    rendered = SafeJSONRenderer().render({"message": "bad \ud800 text", "n": [1, "\udc00"]})

    assert json.loads(rendered.decode("utf-8")) == {
        "message": "bad \ufffd text",
        "n": [1, "\ufffd"],
    }


def test_the_renderer_leaves_good_text_alone():
    data = {"name": "Café \U0001f393", "emoji": "\u2028"}

    assert SafeJSONRenderer().render(data) == StrictJSONParser.renderer_class().render(data)
