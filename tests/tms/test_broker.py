"""Without Redis the Celery broker is the app's PostgreSQL database (tms/broker.py)."""

from __future__ import annotations

import uuid

import pytest

from tms.broker import broker_messages_prune, database_broker_url
from tms.celery import app as celery_app


def test_the_embedded_servers_socket_folder_goes_in_the_query():
    url = database_broker_url(
        {"NAME": "tms", "USER": "postgres", "PASSWORD": "", "HOST": "/srv/pg data", "PORT": ""}
    )
    assert url == "sqla+postgresql+psycopg2://postgres@/tms?host=%2Fsrv%2Fpg+data"


def test_a_server_url_keeps_host_port_quoted_password_and_options():
    url = database_broker_url(
        {
            "NAME": "tms",
            "USER": "tms",
            "PASSWORD": "p@ss:word/1",
            "HOST": "db.example.org",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "require"},
        }
    )
    assert (
        url
        == "sqla+postgresql+psycopg2://tms:p%40ss%3Aword%2F1@db.example.org:5433/tms?sslmode=require"
    )


def test_without_redis_the_broker_is_the_database(settings):
    if settings.REDIS_URL or settings.BROKER_URL:
        pytest.skip("REDIS_URL or BROKER_URL chooses another broker in this run")
    assert settings.CELERY_BROKER_URL.startswith("sqla+postgresql+psycopg2://")
    assert settings.CELERY_WORKER_ENABLE_REMOTE_CONTROL is False


def test_pruning_deletes_delivered_messages_and_keeps_waiting_ones(settings):
    if not settings.CELERY_BROKER_URL.startswith("sqla+"):
        pytest.skip("the broker is not the database in this run")
    name = f"prune-test-{uuid.uuid4().hex[:8]}"
    with celery_app.connection_for_write() as connection:
        queue = connection.SimpleQueue(name)
        queue.put({"n": 1})
        queue.put({"n": 2})
        queue.get(timeout=10).ack()  # delivered
        channel = queue.channel
        rows = channel.session.query(channel.message_cls).join(channel.queue_cls)
        rows = rows.filter(channel.queue_cls.name == name)
        assert rows.count() == 2
        channel.session.commit()

        assert broker_messages_prune(celery_app) >= 1

        assert rows.count() == 1
        assert queue.get(timeout=10).payload == {"n": 2}  # still there to be delivered
        channel.session.commit()
        queue.close()
