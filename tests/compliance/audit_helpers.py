"""Helpers for the audit-log tests: reading a table's entries, sealing within a test's
transaction, bypassing the triggers as a superuser (to tamper)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from compliance.models import AuditEntry


def entries(table: str, pk: object | None = None) -> list[AuditEntry]:
    found = AuditEntry.objects.filter(table_name=table)
    if pk is not None:
        found = found.filter(object_pk=str(pk))
    return list(found.order_by("id"))


def seal_now() -> None:
    """Seal what waits now (a test's transaction never commits, so its commit never seals)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT compliance_audit_seal_rows(true)")
        # Fire the commit-time triggers queued so far too (as a commit would).
        cursor.execute("SET CONSTRAINTS compliance_audit_seal IMMEDIATE")
        cursor.execute("SET CONSTRAINTS compliance_audit_seal DEFERRED")


@contextmanager
def triggers_bypassed() -> Iterator[None]:
    """As a superuser, with every trigger off: what a tamperer with full access could do."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            pytest.skip("tampering needs a superuser database role")
        cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            cursor.execute("SET session_replication_role = origin")
