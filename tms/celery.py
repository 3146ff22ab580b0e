"""Celery application. Broker: Redis when REDIS_URL is set, else kombu's filesystem transport.

Tasks and the beat schedule arrive with the registration/waitlist issue; the app exists now so
that settings, docker-compose and `make run` have one place to grow from.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tms.settings")

app = Celery("tms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
