"""Compliance's database functions: the audit log's capture trigger, its hash-chain sealer,
its append-only guard and the canonical text its hashes are taken over (see
tms/sql_functions.py for how the files are installed, compliance/audit.py for how they are
used)."""

from __future__ import annotations

from tms.sql_functions import SqlFunction, sql_literal

FUNCTIONS = [
    SqlFunction("compliance", "compliance_audit_payload", "jsonb"),
    SqlFunction("compliance", "compliance_audit_capture", ""),
    SqlFunction("compliance", "compliance_audit_seal_rows", "boolean"),
    SqlFunction("compliance", "compliance_audit_seal", ""),
    SqlFunction("compliance", "compliance_audit_guard", ""),
]


def sql_constants() -> dict[str, str]:
    from compliance.audit import CHAIN_LOCK, GENESIS

    return {"CHAIN_LOCK": str(CHAIN_LOCK), "GENESIS": sql_literal(GENESIS)}
