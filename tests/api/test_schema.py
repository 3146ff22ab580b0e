"""The OpenAPI schema is valid, warning-free, documents the error body, and the docs page
loads its scripts from our own origin (CSP: no inline scripts)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert "/api/v1/sessions/" in target.read_text()


def test_every_operation_documents_the_error_body(client):
    schema = client.get("/api/schema/?format=json").json()

    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) > 40
    for path, method, operation in operations:
        for status in ("400", "403", "404", "409"):
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (path, method)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "fields", "conflicts", "extra"}
    assert error["required"] == ["code", "fields", "message"]


def test_operations_with_a_body_document_the_size_limit(client):
    schema = client.get("/api/schema/?format=json").json()

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            has_body = "requestBody" in operation
            assert ("413" in operation["responses"]) == has_body, (path, method)
            if has_body:
                content = operation["responses"]["413"]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_docs_page_has_no_inline_script_and_no_cdn(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts
    assert all('src="' in attributes and not body.strip() for attributes, body in scripts)
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
    init = client.get("/api/docs/?script=")
    assert init.status_code == 200
    assert "/api/schema/" in init.content.decode()
