"""A real Celery worker process promotes the waitlist, expires offers and reports its heartbeat.

The broker is the one the settings choose: Redis when REDIS_URL is set (as in CI's second run),
otherwise the PostgreSQL database (kombu's SQLAlchemy transport, tms/broker.py). The worker
connects to this test's database and to the same broker as this process.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from attendance.models import Registration, RegistrationStatus
from attendance.services.registration import registration_create
from attendance.tasks import expire_offers, sweep_waitlists
from notifications.models import MessageStatus, OutboxMessage
from scheduling.models import Session, WaitlistPolicy
from tests.conftest import NOW
from tms.broker import broker_prepare
from tms.celery import app as celery_app
from tms.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
MODEL_BACKEND = "tms.backends.UserWithProfilesBackend"


def _database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{db['USER']}@/{db['NAME']}?host={host}"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(settings) -> Iterator[subprocess.Popen[str]]:
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
        except redis.RedisError as error:
            pytest.skip(f"REDIS_URL is set but Redis does not answer: {error}")
    broker_prepare(celery_app)
    # Other tests queue outbox kicks on the same broker: start from an empty queue.
    celery_app.control.purge()
    # The broker as this process sees it: the worker's own settings would derive a database
    # broker from its DATABASE_URL (this test's database), not this process's one.
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "BROKER_URL": settings.CELERY_BROKER_URL,
        "DEBUG": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tms", "worker", "--pool=solo", "-l", "info"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def _eventually(
    check: Callable[[], bool], worker: subprocess.Popen[str], seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        if worker.poll() is not None:
            raise AssertionError(f"worker exited:\n{worker.stdout.read() if worker.stdout else ''}")
        time.sleep(0.25)
    worker.terminate()
    output = worker.communicate(timeout=20)[0]
    raise AssertionError(f"condition not met within {seconds}s; worker output:\n{output}")


def _status(registration: Registration) -> str:
    return Registration.objects.values_list("status", flat=True).get(pk=registration.pk)


def test_a_real_worker_serves_the_line_when_seats_free_without_a_promotion(
    worker, schedule, learners
):
    """A seat freed by a change that promotes no one (here a bulk capacity update): the
    periodic sweep, run by a real worker, gives it to the head of the line."""
    session = schedule(status="scheduled", capacity=1)
    first, second = learners(2)
    registration_create(session_id=session.pk, learner=first, now=NOW)
    queued = registration_create(session_id=session.pk, learner=second, now=NOW).row()
    Session.objects.filter(pk=session.pk).update(capacity=2)
    sweep_waitlists.delay()
    _eventually(lambda: _status(queued) == RegistrationStatus.CONFIRMED, worker)


def test_a_real_worker_passes_an_expired_offer_to_the_next_learner(worker, schedule, learners):
    session = schedule(status="scheduled", capacity=1)
    session.waitlist_policy = WaitlistPolicy.OFFER
    session.save()
    first, second, third = learners(3)
    registration_create(session_id=session.pk, learner=first, now=NOW)
    offered = registration_create(session_id=session.pk, learner=second, now=NOW).row()
    waiting = registration_create(session_id=session.pk, learner=third, now=NOW).row()
    # The seat holder leaves; the second learner got an offer that has now run out.
    Registration.objects.filter(learner=first).update(
        status=RegistrationStatus.CANCELLED, cancelled_at=timezone.now()
    )
    Registration.objects.filter(pk=offered.pk).update(
        status=RegistrationStatus.OFFERED,
        waitlist_rank=None,
        offer_expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    expire_offers.delay()
    _eventually(lambda: _status(waiting) == RegistrationStatus.OFFERED, worker)
    assert _status(offered) == RegistrationStatus.CANCELLED


def test_a_task_queued_by_a_web_request_is_run_by_a_real_worker(worker, schedule, learner, client):
    """The learner registers on the web page; after commit the view's process kicks the
    outbox dispatcher, and the worker sends the confirmation."""
    session = schedule(status="scheduled", capacity=1)
    client.force_login(learner, backend=MODEL_BACKEND)
    response = client.post(f"/sessions/{session.pk}/register/")
    assert response.status_code == 302
    message = OutboxMessage.objects.get(template="registration_confirmed")
    _eventually(
        lambda: OutboxMessage.objects.get(pk=message.pk).status == MessageStatus.SENT, worker
    )


def test_a_starting_worker_reports_its_heartbeat(worker):
    _eventually(lambda: WorkerHeartbeat.objects.exists(), worker)
    heartbeat = WorkerHeartbeat.objects.get()
    assert abs((timezone.now() - heartbeat.seen_at).total_seconds()) < 120
