"""`manage.py seed_demo`: load a realistic demo organisation, once.

Three sites, twelve rooms, four virtual-classroom licences, 25 instructors, a 40-course catalog
and 300 sessions over the next three months (through the scheduling services), plus one sign-in
per role (see README). Running it again does nothing ("loads once"); `--reset` deletes the demo
organisation (and any session using it) and loads it afresh.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from instructors.models import Qualification
from scheduling.management import demo_data as data
from scheduling.management.demo import (
    SESSION_COUNT,
    DemoBuilder,
    Summary,
    clashes,
    demo_loaded,
    demo_sessions,
    remove_demo_data,
)
from scheduling.models import DeliveryMode, SessionStatus


class Command(BaseCommand):
    help = (
        "Load a realistic demo organisation (sites, rooms, licences, instructors, courses and "
        "300 sessions over the next three months) unless it is already loaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo organisation (and every session using it), then load it again.",
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Seed for the pseudo-random choices."
        )

    def handle(self, *args: Any, reset: bool = False, seed: int = 2026, **options: Any) -> None:
        if reset:
            removed = remove_demo_data()
            self.stdout.write(f"Removed the demo organisation and {removed} sessions.")
        elif demo_loaded():
            count = demo_sessions().count()
            self.stdout.write(f"Demo data already loaded ({count} sessions); nothing to do.")
            if count < SESSION_COUNT:
                self.stderr.write(
                    f"It looks incomplete ({count} of {SESSION_COUNT} sessions): "
                    "run `manage.py seed_demo --reset` to reload it."
                )
            return
        taken = clashes()
        if taken:
            raise CommandError(
                "Demo names are already taken: "
                + ", ".join(taken[:8])
                + ". Run `manage.py seed_demo --reset` to replace them."
            )
        started = time.perf_counter()
        summary = DemoBuilder(random.Random(seed), timezone.now()).build()
        self._report(summary, time.perf_counter() - started, seed)

    def _report(self, summary: Summary, elapsed: float, seed: int) -> None:
        sessions = demo_sessions()
        by_status = Counter(sessions.values_list("status", flat=True))
        by_mode = Counter(sessions.values_list("delivery_mode", flat=True))
        refused = sum(summary.refusals.values())
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(summary.refusals.items()))
        codes = [c.code for c in data.COURSES]
        qualifications = Qualification.objects.filter(course__code__in=codes).count()
        lines = [
            f"Demo organisation loaded in {elapsed:.1f} s (seed {seed}).",
            f"  {len(data.SITES)} sites, "
            f"{len(data.ROOMS)} rooms ({sum(r.bookable for r in data.ROOMS)} bookable, "
            f"{len(data.CLOSURES)} closures), {len(data.HOST_ACCOUNTS)} host accounts",
            f"  {len(data.INSTRUCTORS)} instructors, {len(data.COURSES)} courses, "
            f"{qualifications} qualifications",
            f"  {sessions.count()} sessions {summary.first_day} → {summary.last_day}: "
            + ", ".join(f"{by_status[s]} {s}" for s in SessionStatus.values if by_status[s])
            + f"; {by_mode[DeliveryMode.ILT]} ILT, {by_mode[DeliveryMode.VILT]} VILT",
            f"  {summary.attempts} creation attempts; {refused} refused by the services and "
            f"retried elsewhere" + (f" ({reasons})" if reasons else ""),
            f"Sign in with password {data.DEMO_PASSWORD}: coordinator, instructor, learner, "
            "auditor, admin (superuser).",
        ]
        if summary.token:
            lines.append(f"API token for coordinator: {summary.token}")
        self.stdout.write("\n".join(lines))
