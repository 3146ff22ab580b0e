from django.conf import settings
from django.db import models

from tms.validators import validate_time_zone


class TimeStampedModel(models.Model):
    """Base for every domain model: when a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Profile(TimeStampedModel):
    """Per-user preferences shared by every app (instructors also have a home time zone)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    # Compliance requirements may target a department (compliance.Requirement).
    department = models.CharField(max_length=200, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.user}: {self.time_zone}"


class WorkerHeartbeat(models.Model):
    """When each Celery worker last ran the heartbeat task.

    Beat sends the task every 30 s and a worker runs it, so a recent row means beat, the broker
    and a worker all work. Coordinators are warned when every row is old (notifications/health).
    """

    worker = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker}: {self.seen_at:%Y-%m-%d %H:%M:%S %Z}"
