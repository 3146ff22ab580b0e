"""The log is append-only for the application and tamper-evident for everyone else: each
tampering done by a superuser behind the triggers' back is found by verify_audit_log, which
names the entry."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from compliance.audit import GENESIS, audit_head
from compliance.models import AuditEntry
from compliance.verify import verify_chain
from tests import factories
from tests.compliance.audit_helpers import seal_now, triggers_bypassed

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain() -> list[AuditEntry]:
    """Five new sealed entries at the head of the chain (one per site)."""
    sites = factories.SiteFactory.create_batch(5)
    seal_now()
    rows = list(
        AuditEntry.objects.filter(
            table_name="venues_site", object_pk__in=[s.pk for s in sites]
        ).order_by("seq")
    )
    assert [r.seq is not None for r in rows] == [True] * 5
    return rows


def _sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_sealing_chains_each_entry_to_the_previous_one(chain):
    seqs = [e.seq for e in chain]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
    assert audit_head() == (chain[-1].seq, chain[-1].hash)
    result = verify_chain()
    assert result.ok, result.problem
    assert (result.head_seq, result.head_hash) == audit_head()


def test_the_chain_starts_from_the_genesis_hash(chain):
    first = AuditEntry.objects.get(seq=1)
    assert first.prev_hash == GENESIS


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE compliance_auditentry SET actor = 'someone else' WHERE id = %s",
        "UPDATE compliance_auditentry SET seq = seq WHERE id = %s",
        "DELETE FROM compliance_auditentry WHERE id = %s",
        "TRUNCATE compliance_auditentry",
    ],
)
def test_the_application_role_cannot_change_or_remove_entries(chain, statement):
    """A plain role (as the app should run in production) with every table privilege granted
    is still refused by the guard trigger; so is this superuser while triggers are on."""
    target = chain[2].pk
    _sql("CREATE ROLE audit_probe_app NOLOGIN")
    _sql("GRANT SELECT, UPDATE, DELETE, TRUNCATE ON compliance_auditentry TO audit_probe_app")
    params = [target] if "%s" in statement else None
    for role in ("audit_probe_app", "NONE"):  # NONE: this (superuser) session
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _as_role(role, statement, params)
    assert AuditEntry.objects.get(pk=target).actor == chain[2].actor


FORGED_INSERT = (
    "INSERT INTO compliance_auditentry (table_name, object_pk, action, after, occurred_at, "
    "txid, actor, request_id, client_ip, request) VALUES ('venues_site', '999', 'insert', "
    "'{}'::jsonb, now(), txid_current(), 'user:coordinator', '', '', '')"
)


def test_nobody_inserts_an_entry_of_their_own_for_the_sealer_to_chain(chain):
    """Only the capture trigger writes entries: a plain INSERT, by the app's role or by this
    superuser while triggers are on, is refused, so no forged entry is sealed as genuine."""
    _sql("CREATE ROLE audit_probe_writer NOLOGIN")
    _sql("GRANT SELECT, INSERT ON compliance_auditentry TO audit_probe_writer")
    before = AuditEntry.objects.count()
    for role in ("audit_probe_writer", "NONE"):
        refused = pytest.raises(DatabaseError, match="written by the database only")
        with refused, transaction.atomic():
            _as_role(role, FORGED_INSERT, None)
    assert AuditEntry.objects.count() == before


def _as_role(role: str, statement: str, params: list[object] | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(statement, params)


def test_a_sealed_entry_cannot_be_sealed_again(chain):
    """The sealer's own exception is narrow: a row not sealed yet, chain fields only."""
    _sql("SELECT set_config('tms.audit_sealing', 'on', true)")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("UPDATE compliance_auditentry SET hash = repeat('f', 64) WHERE id = %s", [chain[1].pk])


def _problem(**head: object) -> str:
    result = verify_chain(**head)  # type: ignore[arg-type]
    assert not result.ok
    return str(result.problem)


def test_an_edited_entry_is_named(chain):
    victim = chain[2]
    with triggers_bypassed():
        _sql(
            'UPDATE compliance_auditentry SET after = after || \'{"name": "Forged"}\' '
            "WHERE id = %s",
            [victim.pk],
        )
    problem = _problem()
    assert f"entry seq {victim.seq} (venues.Site pk {victim.object_pk})" in problem
    assert "edited" in problem


def test_a_deleted_middle_entry_is_named(chain):
    with triggers_bypassed():
        _sql("DELETE FROM compliance_auditentry WHERE id = %s", [chain[2].pk])
    problem = _problem()
    assert f"entry seq {chain[3].seq} " in problem
    assert f"expected seq {chain[2].seq}" in problem


def test_a_deleted_entry_with_the_rest_renumbered_is_named(chain):
    with triggers_bypassed():
        _sql("DELETE FROM compliance_auditentry WHERE id = %s", [chain[2].pk])
        _sql("UPDATE compliance_auditentry SET seq = -seq WHERE seq > %s", [chain[2].seq])
        _sql("UPDATE compliance_auditentry SET seq = -seq - 1 WHERE seq < 0")
    problem = _problem()
    assert f"entry seq {chain[2].seq} " in problem  # where chain[3] now sits
    assert "prev_hash" in problem


def test_a_forged_entry_inserted_in_the_chain_is_named(chain):
    """The forger even computes a correct hash for its row: the next entry gives it away."""
    after = chain[1]
    with triggers_bypassed():
        _sql("UPDATE compliance_auditentry SET seq = -seq WHERE seq > %s", [after.seq])
        _sql("UPDATE compliance_auditentry SET seq = -seq + 1 WHERE seq < 0")
        _sql(
            "INSERT INTO compliance_auditentry (seq, table_name, object_pk, action, after, "
            "occurred_at, txid, actor, request_id, client_ip, request, prev_hash) "
            "VALUES (%s, 'venues_site', '999', 'insert', '{}', now(), 1, 'forger', '', '', '', %s)",
            [after.seq + 1, after.hash],
        )
        _sql(
            "UPDATE compliance_auditentry e SET hash = encode(sha256(convert_to("
            "compliance_audit_payload(to_jsonb(e)), 'UTF8')), 'hex') WHERE seq = %s",
            [after.seq + 1],
        )
    problem = _problem()
    assert f"entry seq {after.seq + 2} (venues.Site pk {chain[2].object_pk})" in problem
    assert "prev_hash" in problem


def test_a_forged_unsealed_entry_is_named(chain):
    with triggers_bypassed():
        _sql(
            "INSERT INTO compliance_auditentry (table_name, object_pk, action, after, "
            "occurred_at, txid, actor, request_id, client_ip, request) "
            "VALUES ('venues_site', '998', 'insert', '{}', now() - interval '1 hour', 3, "
            "'forger', '', '', '')"
        )
    problem = _problem()
    assert "unsealed entry (venues.Site pk 998)" in problem


def test_reordered_entries_are_named(chain):
    a, b = chain[1], chain[2]
    with triggers_bypassed():
        _sql("UPDATE compliance_auditentry SET seq = -1 WHERE id = %s", [a.pk])
        _sql("UPDATE compliance_auditentry SET seq = %s WHERE id = %s", [a.seq, b.pk])
        _sql("UPDATE compliance_auditentry SET seq = %s WHERE id = %s", [b.seq, a.pk])
    problem = _problem()
    assert f"entry seq {a.seq} (venues.Site pk {b.object_pk})" in problem


def test_a_truncated_tail_is_found_from_the_saved_head(chain):
    head_seq, head_hash = audit_head()
    with triggers_bypassed():
        _sql("DELETE FROM compliance_auditentry WHERE seq >= %s", [chain[3].seq])
    assert verify_chain().ok  # what is left is a valid chain: only the saved head tells
    problem = _problem(head_hash=head_hash)
    assert f"cut after seq {chain[2].seq}" in problem
    assert "cut after" in _problem(head_seq=head_seq, head_hash=head_hash)


def test_the_command_prints_the_head_and_fails_naming_the_entry(chain, capsys):
    seq, head = audit_head()
    call_command("verify_audit_log", "--head", head, "--head-seq", str(seq))
    assert f"head seq {seq} hash {head}" in capsys.readouterr().out
    with triggers_bypassed():
        _sql("UPDATE compliance_auditentry SET actor = 'x' WHERE id = %s", [chain[0].pk])
    with pytest.raises(CommandError, match=f"entry seq {chain[0].seq} "):
        call_command("verify_audit_log")


def test_the_command_refuses_a_malformed_head():
    with pytest.raises(CommandError, match="64-character"):
        call_command("verify_audit_log", "--head", "abc")


def test_the_sealers_exception_never_lets_content_change():
    site = factories.SiteFactory()
    entry = AuditEntry.objects.get(table_name="venues_site", object_pk=str(site.pk))
    _sql("SELECT set_config('tms.audit_sealing', 'on', true)")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(
            "UPDATE compliance_auditentry SET seq = 10000000, hash = repeat('a', 64), "
            "actor = 'someone else' WHERE id = %s",
            [entry.pk],
        )
