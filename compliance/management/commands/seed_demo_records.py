"""`manage.py seed_demo_records`: demo records of the past, on top of `seed_demo`, once.

Certifications, a requirement, nine learners and six past sessions of the demo instructor
(signed off, pending sign-off, a video call awaiting its participant report), all through the
services; see `compliance/management/demo_records.py`. Running it again does nothing;
`--reset` deletes the records and loads them afresh.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from compliance.management.demo_records import (
    build_demo_records,
    records_loaded,
    remove_demo_records,
)
from compliance.models import LearnerCertification
from scheduling.models import Session


class Command(BaseCommand):
    help = (
        "Add demo records of the past (sessions taught by the demo instructor, attendance, "
        "sign-offs, certificates, a compliance requirement) unless they are already loaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo records, then load them again."
        )

    def handle(self, *args: Any, reset: bool = False, **options: Any) -> None:
        if reset:
            removed = remove_demo_records()
            self.stdout.write(f"Removed the demo records ({removed} sessions).")
        elif records_loaded():
            self.stdout.write("Demo records already loaded; nothing to do.")
            return
        started = time.perf_counter()
        try:
            built = build_demo_records(timezone.now())
        except BaseException:
            # The services commit one by one: leave no half-loaded set that looks loaded.
            remove_demo_records()
            raise
        elapsed = time.perf_counter() - started
        sessions = Session.objects.filter(pk__in=[s.pk for s in built.sessions])
        certificates = LearnerCertification.objects.filter(
            completion__registration__session__in=sessions
        ).count()
        lines = [
            f"Demo records loaded in {elapsed:.1f} s: {len(built.sessions)} past sessions of "
            f"the demo instructor, {built.registrations} registrations, {built.marks} "
            f"attendance marks, {certificates} certificates, {built.learners_created} new "
            "learners (invited: no password until they set one).",
            "  Sign in as instructor for a sign-off pending (HSE-110) and a video call "
            "awaiting its participant report (CMP-101); as auditor for the Site safety matrix.",
        ]
        if built.zoom_report is not None:
            lines.append(f"  Sample Zoom participants report for CMP-101: {built.zoom_report}")
        self.stdout.write("\n".join(lines))
