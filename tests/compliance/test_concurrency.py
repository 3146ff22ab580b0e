"""Two connections committing audited writes at the same time still make one chain: no fork
(two entries on one predecessor), no gap, each transaction's entries together."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from compliance.audit import audit_head
from compliance.models import AuditEntry
from compliance.verify import verify_chain
from venues.models import Site

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 25


def _writer(name: str, barrier: threading.Barrier, errors: list[BaseException]) -> None:
    try:
        barrier.wait()
        for i in range(ROUNDS):
            with transaction.atomic():
                Site.objects.create(name=f"{name}-{i}-a", address="", time_zone="UTC")
                Site.objects.create(name=f"{name}-{i}-b", address="", time_zone="UTC")
    except BaseException as error:
        errors.append(error)
    finally:
        connection.close()


def test_concurrent_commits_make_one_valid_chain():
    start_seq, _ = audit_head()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=(n, barrier, errors)) for n in ("x", "y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    new = list(AuditEntry.objects.filter(seq__gt=start_seq).order_by("seq"))
    assert len(new) == 2 * 2 * ROUNDS
    assert [e.seq for e in new] == list(range(start_seq + 1, start_seq + 1 + len(new)))
    assert len({e.prev_hash for e in new}) == len(new)  # no two entries share a predecessor
    by_tx: dict[int, list[int]] = {}
    for entry in new:
        by_tx.setdefault(entry.txid, []).append(entry.seq)
    assert all(b - a == 1 for a, b in by_tx.values())  # a transaction's two entries adjoin
    result = verify_chain()
    assert result.ok, result.problem
