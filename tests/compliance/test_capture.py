"""Every way of writing an audited table is recorded by the database, with its context: the
ORM, the admin, QuerySet.update and .delete, raw SQL, the seat door (SQL function) through
the registration API, a prepared statement, a Celery task and a management command."""

from __future__ import annotations

import pytest
from celery import shared_task
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from attendance.models import Registration
from compliance.audit import AuditContext, audit_context, may_write
from tests import factories
from tests.compliance.audit_helpers import entries
from tms.db import PreparedStatement
from venues.models import Room, Site

pytestmark = pytest.mark.django_db

SCRIPT = AuditContext(actor="system:test-script", request_id="req-script-1")


def test_orm_create_update_and_delete_are_recorded_with_before_after_and_changed_fields():
    with audit_context(SCRIPT):
        site = Site.objects.create(name="Lyon", address="1 rue", time_zone="Europe/Paris")
        site.name = "Lyon Part-Dieu"
        site.save(update_fields=["name"])
        pk = site.pk
        site.delete()
    created, changed, deleted = entries("venues_site", pk)
    assert (created.action, created.before, created.after["name"]) == ("insert", None, "Lyon")
    assert changed.action == "update"
    assert changed.changed == ["name"]
    assert (changed.before["name"], changed.after["name"]) == ("Lyon", "Lyon Part-Dieu")
    assert (deleted.action, deleted.before["name"], deleted.after) == (
        "delete",
        "Lyon Part-Dieu",
        None,
    )
    for entry in (created, changed, deleted):
        assert (entry.actor, entry.request_id, entry.user_id) == (
            "system:test-script",
            "req-script-1",
            None,
        )
        assert entry.txid > 0
        assert entry.occurred_at is not None


def test_an_admin_change_is_recorded_with_the_user_request_id_and_address(client):
    admin = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    group = Group.objects.create(name="Reviewers")
    client.force_login(admin)
    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Senior reviewers", "permissions": []},
        headers={"X-Request-ID": "admin-change-0001"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    assert response["X-Request-ID"] == "admin-change-0001"
    (entry,) = [e for e in entries("auth_group", group.pk) if e.action == "update"]
    assert entry.after["name"] == "Senior reviewers"
    assert (entry.user_id, entry.actor) == (admin.pk, "root")
    assert entry.request_id == "admin-change-0001"
    assert entry.client_ip == "203.0.113.7"
    assert entry.request == f"POST /admin/auth/group/{group.pk}/change/"


def test_queryset_update_and_delete_record_every_row():
    rooms = factories.RoomFactory.create_batch(3, capacity=10)
    ids = sorted(r.pk for r in rooms)
    with audit_context(SCRIPT):
        Room.objects.filter(pk__in=ids).update(capacity=30)
        Room.objects.filter(pk__in=ids).delete()
    for pk in ids:
        actions = [(e.action, e.actor) for e in entries("venues_room", pk)]
        assert actions[-2:] == [("update", "system:test-script"), ("delete", "system:test-script")]
        update = entries("venues_room", pk)[-2]
        assert (update.before["capacity"], update.after["capacity"]) == (10, 30)
        assert update.changed == ["capacity"]


def test_raw_sql_is_recorded():
    site = factories.SiteFactory(name="Old")
    with audit_context(SCRIPT), connection.cursor() as cursor:
        cursor.execute("UPDATE venues_site SET name = %s WHERE id = %s", ["New 100%", site.pk])
    entry = entries("venues_site", site.pk)[-1]
    assert (entry.action, entry.after["name"], entry.actor) == (
        "update",
        "New 100%",
        "system:test-script",
    )


def test_a_write_outside_any_context_is_recorded_as_the_database_role():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        role = cursor.fetchone()[0]
    site = factories.SiteFactory()
    assert entries("venues_site", site.pk)[0].actor == f"db:{role}"


def test_the_seat_door_records_the_registration_with_the_api_user_and_request(
    client_for, published, learner
):
    session = published(capacity=5)
    response = client_for(learner).post(
        f"/api/v1/sessions/{session.pk}/register/",
        {},
        format="json",
        headers={"X-Request-ID": "rush-0000-0001"},
        REMOTE_ADDR="198.51.100.23",
    )
    assert response.status_code == 201, response.content
    registration = Registration.objects.get(session=session, learner=learner)
    (entry,) = entries("attendance_registration", registration.pk)
    assert entry.action == "insert"
    assert entry.after["status"] == "confirmed"
    assert (entry.user_id, entry.actor) == (learner.pk, "learner")
    assert (entry.request_id, entry.client_ip) == ("rush-0000-0001", "198.51.100.23")
    assert entry.request == f"POST /api/v1/sessions/{session.pk}/register/"


def test_a_prepared_statement_is_recorded_with_the_context():
    room = factories.RoomFactory(capacity=10)
    rename = PreparedStatement(
        "test_audit_rename_room", "UPDATE venues_room SET name = %s WHERE id = %s"
    )
    with audit_context(SCRIPT), connection.cursor() as cursor:
        rename.execute(cursor, ["Prepared once", room.pk])  # PREPARE + EXECUTE
        rename.execute(cursor, ["Prepared twice", room.pk])  # EXECUTE only
    first, second = entries("venues_room", room.pk)[-2:]
    assert (first.after["name"], second.after["name"]) == ("Prepared once", "Prepared twice")
    assert {first.actor, second.actor} == {"system:test-script"}


@shared_task(name="tests.compliance.rename_site")
def rename_site(site_id: int, name: str) -> None:
    Site.objects.filter(pk=site_id).update(name=name)


def test_a_celery_task_writes_as_the_worker_with_its_task_id():
    site = factories.SiteFactory()
    result = rename_site.apply(args=[site.pk, "Renamed by the worker"], task_id="task-0000-0001")
    assert result.successful()
    entry = entries("venues_site", site.pk)[-1]
    assert entry.after["name"] == "Renamed by the worker"
    assert (entry.actor, entry.request_id, entry.user_id) == (
        "worker:tests.compliance.rename_site",
        "task-0000-0001",
        None,
    )


def test_a_management_command_writes_as_the_system(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-password-2026")
    call_command("createsuperuser", "--noinput", username="ops", email="ops@example.org")
    user = factories.UserFactory._meta.model.objects.get(username="ops")
    entry = entries("auth_user", user.pk)[0]
    assert (entry.action, entry.actor, entry.user_id) == ("insert", "system:createsuperuser", None)
    assert "password" not in entry.after  # the hash is left out of the log


def test_a_request_id_is_made_when_none_or_a_malformed_one_is_sent(client):
    generated = client.get(reverse("login"))["X-Request-ID"]
    assert len(generated) == 32
    refused = client.get(reverse("login"), headers={"X-Request-ID": "bad id\n<script>"})
    assert refused["X-Request-ID"] != "bad id\n<script>"


def _statements(run):  # type: ignore[no-untyped-def]
    sent: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        run()
    return sent


def test_a_read_only_request_sends_no_audit_context(client, coordinator, published):
    session = published()
    client.force_login(coordinator)
    sent = _statements(lambda: client.get(reverse("scheduling:session-detail", args=[session.pk])))
    assert sent
    assert not any("tms.audit_context" in sql for sql in sent)


def test_a_writing_request_sends_the_context_once_with_its_first_write(
    client_for, published, learner
):
    session = published(capacity=5)
    api = client_for(learner)
    sent = _statements(
        lambda: api.post(f"/api/v1/sessions/{session.pk}/register/", {}, format="json")
    )
    with_context = [sql for sql in sent if "tms.audit_context" in sql]
    assert len(with_context) == 1
    assert "attendance_take_seat" in with_context[0]  # the same statement: no extra round trip


@pytest.mark.django_db(transaction=True)
def test_executemany_carries_the_context_in_and_outside_a_transaction():
    """cursor.executemany: every row of it, committed at once (autocommit) or in atomic."""
    sites = factories.SiteFactory.create_batch(4)
    statement = "UPDATE venues_site SET name = %s WHERE id = %s"
    with audit_context(SCRIPT), connection.cursor() as cursor:
        cursor.executemany(statement, [(f"many-{s.pk}", s.pk) for s in sites[:2]])
        with transaction.atomic():
            cursor.executemany(statement, [(f"many-{s.pk}", s.pk) for s in sites[2:]])
    for site in sites:
        assert entries("venues_site", site.pk)[-1].actor == "system:test-script"


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ("SELECT 1", False),
        ('SAVEPOINT "s1"', False),
        ("  (SELECT id FROM venues_site) UNION (SELECT 2)", False),
        ("SELECT * FROM venues_site FOR UPDATE", False),
        ("SELECT outcome FROM attendance_take_seat(1, 2)", True),
        ("INSERT INTO venues_site (name) VALUES ('x')", True),
        ("WITH gone AS (DELETE FROM venues_site RETURNING id) SELECT count(*) FROM gone", True),
        ("EXECUTE attendance_pre_check(1, 2, 3)", False),  # a prepared read
        ("EXECUTE attendance_take_seat(1, 2, 3)", True),  # the prepared seat door
        ("EXECUTE never_prepared_here(1)", True),  # unknown: assume it writes
        ("PREPARE x AS SELECT 1;\nEXECUTE x", False),
    ],
)
def test_the_context_goes_with_every_statement_that_may_write(sql, writes):
    import attendance.services.seats  # noqa: F401 - registers the seat statements

    assert may_write(sql) is writes
