"""Checking the audit log's hash chain (`manage.py verify_audit_log`).

Walks every sealed entry in `seq` order through a server-side cursor (bounded memory, however
long the log), and for each checks that its seq follows the previous one's (no gap, nothing
deleted or reordered), that its prev_hash is the previous entry's hash, and that its hash is
sha256 of its canonical text. The text is made by the same SQL function the sealer hashed
(`compliance_audit_payload`, compliance/sql/), and hashed here in Python: a changed field
changes the text, so the stored hash no longer matches. With a saved head (seq and/or hash,
e.g. from an export's manifest) it also checks that that entry is still there unchanged, which
detects a truncated tail. Entries left unsealed for longer than a grace period (a row
inserted behind the triggers' back) are reported too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection, transaction

from compliance.audit import GENESIS, model_label

CHUNK = 2000


@dataclass(frozen=True)
class Problem:
    seq: int | None
    table: str
    object_pk: str
    what: str

    def __str__(self) -> str:
        where = f"entry seq {self.seq}" if self.seq is not None else "an unsealed entry"
        return f"{where} ({model_label(self.table)} pk {self.object_pk}): {self.what}"


@dataclass(frozen=True)
class Result:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: Problem | None = None


GRACE_SECONDS = 300


def verify_chain(
    *, head_hash: str | None = None, head_seq: int | None = None, grace: int = GRACE_SECONDS
) -> Result:
    """Check the whole chain; the first problem found is named. Read-only: entries waiting to
    be sealed are left as they are, and one waiting longer than `grace` seconds (the worker
    seals leftovers every few seconds) is reported as never sealed."""
    expected_seq = 1
    prev = GENESIS
    checked = 0
    saved_found = head_hash is None and head_seq is None
    with transaction.atomic(), connection.cursor() as plain:
        cursor = connection.connection.cursor(name="verify_audit_log")
        cursor.itersize = CHUNK
        cursor.execute(
            "SELECT e.seq, e.table_name, e.object_pk, e.prev_hash, e.hash, "
            "compliance_audit_payload(to_jsonb(e)) FROM compliance_auditentry e "
            "WHERE e.seq IS NOT NULL ORDER BY e.seq"
        )
        try:
            for seq, table, pk, prev_hash, stored, payload in cursor:
                problem = None
                if seq != expected_seq:
                    problem = (
                        f"expected seq {expected_seq} here: entries are missing"
                        if seq > expected_seq
                        else f"seq {seq} out of order"
                    )
                elif prev_hash != prev:
                    problem = (
                        "prev_hash is not the previous entry's hash (removed or inserted entry)"
                    )
                elif hashlib.sha256(payload.encode("utf-8")).hexdigest() != stored:
                    problem = "hash does not match the content (edited entry)"
                if problem:
                    return Result(
                        False, checked, expected_seq - 1, prev, Problem(seq, table, pk, problem)
                    )
                if (head_seq is not None and seq == head_seq) or (
                    head_seq is None and stored == head_hash
                ):
                    if head_hash is not None and stored != head_hash:
                        return Result(
                            False,
                            checked,
                            seq - 1,
                            prev,
                            Problem(seq, table, pk, "not the saved head: the hash differs"),
                        )
                    saved_found = True
                prev = stored
                expected_seq += 1
                checked += 1
        finally:
            cursor.close()
        if not saved_found:
            wanted = f"seq {head_seq}" if head_seq is not None else f"hash {head_hash}"
            return Result(
                False,
                checked,
                expected_seq - 1,
                prev,
                Problem(
                    expected_seq - 1,
                    "",
                    "",
                    f"the saved head ({wanted}) is not in the chain: the tail was cut after "
                    f"seq {expected_seq - 1}",
                ),
            )
        plain.execute(
            "SELECT table_name, object_pk FROM compliance_auditentry "
            "WHERE seq IS NULL AND occurred_at < clock_timestamp() - make_interval(secs => %s) "
            "ORDER BY id LIMIT 1",
            [grace],
        )
        stray = plain.fetchone()
        if stray:
            return Result(
                False,
                checked,
                expected_seq - 1,
                prev,
                Problem(None, stray[0], stray[1], "never sealed into the chain (forged row)"),
            )
    return Result(True, checked, expected_seq - 1, prev)
