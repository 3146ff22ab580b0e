# The Celery app must be imported here so that @shared_task binds to it (not to a default app).
from tms.celery import app as celery_app

__all__ = ("celery_app",)
