"""A small world for export tests: one ILT session in Paris (two blocks, a room, a lead
instructor), learners with confirmed seats and attendance per block, one with a note that a
spreadsheet would read as a formula."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from attendance.models import (
    AttendanceRecord,
    AttendanceSource,
    AttendanceStatus,
    Registration,
    RegistrationStatus,
)
from scheduling.models import Session
from tests import factories
from tests.conftest import NOW, at


@dataclass
class World:
    session: Session
    learners: list[Any]
    registrations: list[Registration]
    records: list[AttendanceRecord]


def confirm(session: Session, learner: Any) -> Registration:
    return Registration.objects.create(
        session=session, learner=learner, status=RegistrationStatus.CONFIRMED, confirmed_at=NOW
    )


def build_world(schedule: Any, *, notes: list[str] | None = None) -> World:
    session = schedule(
        status="scheduled",
        blocks=[
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "13:30"), at("2030-03-05", "17:00")),
        ],
    )
    learners = [
        factories.UserFactory(
            username="ada", first_name="Ada", last_name="Lovelace", role="Learner"
        ),
        factories.UserFactory(username="bob", first_name="Bob", last_name="Ngo", role="Learner"),
    ]
    notes = notes or ['=HYPERLINK("http://evil")', "Zoë arrived late"]
    registrations = [confirm(session, learner) for learner in learners]
    records = []
    blocks = list(session.blocks.order_by("starts_at"))
    for i, registration in enumerate(registrations):
        for j, block in enumerate(blocks):
            records.append(
                AttendanceRecord.objects.create(
                    registration=registration,
                    block=block,
                    status=AttendanceStatus.PRESENT if j == 0 else AttendanceStatus.LATE,
                    minutes_attended=180 - 10 * j,
                    notes=notes[i] if j == 0 else "",
                    source=AttendanceSource.ROSTER,
                    recorded_at=NOW + dt.timedelta(days=4),
                )
            )
    return World(session, learners, registrations, records)
