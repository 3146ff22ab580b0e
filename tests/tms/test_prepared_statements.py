"""tms.db.PreparedStatement: prepared once per connection, same answers as plain SQL."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tms.db import PreparedStatement

pytestmark = pytest.mark.django_db


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def test_named_parameters_in_any_order_and_repeated_give_the_plain_answer():
    statement = PreparedStatement(
        "test_named", "SELECT %(b)s::int - %(a)s::int, %(a)s::int * 10, 'x%%y' LIKE 'x%%'"
    )
    with connection.cursor() as cursor:
        statement.execute(cursor, {"a": 2, "b": 7})
        assert cursor.fetchone() == (5, 20, True)
        statement.execute(cursor, {"b": 1, "a": 4})
        assert cursor.fetchone() == (-3, 40, True)


def test_positional_parameters_and_none():
    statement = PreparedStatement("test_positional", "SELECT %s::text, coalesce(%s::int, -1)")
    with connection.cursor() as cursor:
        statement.execute(cursor, ["a", None])
        assert cursor.fetchone() == ("a", -1)


def test_prepared_once_per_connection_then_only_executed():
    statement = PreparedStatement("test_once", "SELECT %s::int + 1")
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        for n in range(3):
            statement.execute(cursor, [n])
            assert cursor.fetchone() == (n + 1,)
    sent = [q["sql"] for q in queries.captured_queries]
    assert sent[0].startswith("PREPARE test_once AS SELECT $1::int + 1;")
    assert all(sql.startswith("EXECUTE test_once(") for sql in sent[1:])
    assert "test_once" in _prepared_names()


def test_a_failed_first_execution_leaves_it_prepared_and_usable():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE seen (n int PRIMARY KEY)")
    statement = PreparedStatement("test_insert_seen", "INSERT INTO seen VALUES (%s) RETURNING n")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO seen VALUES (1)")
        with pytest.raises(IntegrityError), transaction.atomic():
            statement.execute(cursor, [1])  # prepared, then the insert is refused
        statement.execute(cursor, [2])
        assert cursor.fetchone() == (2,)


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    statement = PreparedStatement("test_reconnect", "SELECT %s::int * 2")
    with connection.cursor() as cursor:
        statement.execute(cursor, [2])
        assert cursor.fetchone() == (4,)
    connection.close()
    with connection.cursor() as cursor:
        statement.execute(cursor, [3])
        assert cursor.fetchone() == (6,)


def test_names_must_be_plain_identifiers():
    with pytest.raises(ValueError, match="plain statement name"):
        PreparedStatement("x; DROP TABLE y", "SELECT 1")
