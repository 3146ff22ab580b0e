"""xAPI 1.0.3 statements about the live part of a program: what the LRS is told when
attendance is signed off (`attended`, and `completed` where the course's rule holds), and the
`voided` statement that withdraws one a late edit made untrue. Pure functions: no queries.

Ids are fixed: a UUID (version 5) of the session, the learner, the verb and the statement's
version, in a namespace of this site's activity base, so a retry or a duplicate of the same
statement carries the same id and the LRS keeps it once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings

ATTENDED = "attended"
COMPLETED = "completed"
VOIDED = "voided"
VERBS = {
    ATTENDED: "http://adlnet.gov/expapi/verbs/attended",
    COMPLETED: "http://adlnet.gov/expapi/verbs/completed",
    VOIDED: "http://adlnet.gov/expapi/verbs/voided",
}
SESSION_TYPE = "http://adlnet.gov/expapi/activities/meeting"
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
LANGUAGE = "en-US"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    username: str


@dataclass(frozen=True)
class Outcome:
    """What one learner's signed-off attendance of one session comes to."""

    session_id: int
    course_id: int
    course_code: str
    course_title: str
    registration_id: int
    learner_id: int
    learner: Person
    instructor: Person | None
    # Minutes attended over the active blocks; None when a late or left-early mark has no
    # minutes (how long they stayed is not known, so no duration is claimed).
    minutes: int | None
    attended: bool
    completed: bool


def activity_base() -> str:
    return str(settings.XAPI_ACTIVITY_BASE)


def _namespace() -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, activity_base())


def statement_id(session_id: int, learner_id: int, verb: str, version: int) -> str:
    return str(
        uuid.uuid5(_namespace(), f"session:{session_id}:learner:{learner_id}:{verb}:v{version}")
    )


def voiding_id(target_id: str) -> str:
    return str(uuid.uuid5(_namespace(), f"void:{target_id}"))


def registration_uuid(registration_id: int) -> str:
    """The xAPI registration of one learner's seat in one session (the same in each of its
    statements)."""
    return str(uuid.uuid5(_namespace(), f"registration:{registration_id}"))


def session_iri(session_id: int) -> str:
    return f"{activity_base()}/sessions/{session_id}"


def course_iri(course_id: int) -> str:
    return f"{activity_base()}/courses/{course_id}"


def session_extension() -> str:
    return f"{activity_base()}/extensions/session-id"


def agent(person: Person) -> dict[str, Any]:
    """An Agent with one inverse functional identifier: the email as mbox, or (without one)
    the account on this site."""
    found: dict[str, Any] = {"objectType": "Agent", "name": person.name}
    if person.email:
        found["mbox"] = f"mailto:{person.email}"
    else:
        found["account"] = {"homePage": settings.SITE_URL, "name": person.username}
    return found


def system_agent() -> dict[str, Any]:
    """The TMS itself, the actor of the statements that void its own."""
    return {
        "objectType": "Agent",
        "name": "Training Management System",
        "account": {"homePage": settings.SITE_URL, "name": "tms"},
    }


def duration(minutes: int) -> str:
    """Minutes as an ISO 8601 duration: 95 -> PT1H35M, 0 -> PT0M."""
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def facts(outcome: Outcome, verb: str) -> dict[str, Any] | None:
    """What a statement of `verb` about `outcome` says (None: no such statement holds). A
    live statement whose facts differ from these is voided and a new version sent."""
    if verb == ATTENDED and outcome.attended:
        return {"minutes": outcome.minutes, "completed": outcome.completed}
    if verb == COMPLETED and outcome.completed:
        return {"minutes": outcome.minutes, "completed": True}
    return None


def statement(outcome: Outcome, verb: str, version: int, *, at: dt.datetime) -> dict[str, Any]:
    """Version `version` of the `verb` statement about `outcome`, made at `at`."""
    result: dict[str, Any] = {"completion": outcome.completed, "success": outcome.completed}
    if outcome.minutes is not None:
        result["duration"] = duration(outcome.minutes)
    context: dict[str, Any] = {
        "registration": registration_uuid(outcome.registration_id),
        "contextActivities": {
            "parent": [
                {
                    "objectType": "Activity",
                    "id": course_iri(outcome.course_id),
                    "definition": {
                        "name": {LANGUAGE: outcome.course_title},
                        "type": COURSE_TYPE,
                    },
                }
            ]
        },
        "platform": "TMS",
        "extensions": {session_extension(): outcome.session_id},
    }
    if outcome.instructor is not None:
        context["instructor"] = agent(outcome.instructor)
    return {
        "id": statement_id(outcome.session_id, outcome.learner_id, verb, version),
        "actor": agent(outcome.learner),
        "verb": {"id": VERBS[verb], "display": {LANGUAGE: verb}},
        "object": {
            "objectType": "Activity",
            "id": session_iri(outcome.session_id),
            "definition": {
                "name": {LANGUAGE: f"{outcome.course_title} ({outcome.course_code})"},
                "description": {
                    LANGUAGE: f"Live session #{outcome.session_id} of {outcome.course_title}"
                },
                "type": SESSION_TYPE,
            },
        },
        "result": result,
        "context": context,
        "timestamp": timestamp(at),
    }


def voiding(target_id: str, *, at: dt.datetime) -> dict[str, Any]:
    """The statement that voids statement `target_id` (xAPI 1.0.3, 2.3.2)."""
    return {
        "id": voiding_id(target_id),
        "actor": system_agent(),
        "verb": {"id": VERBS[VOIDED], "display": {LANGUAGE: VOIDED}},
        "object": {"objectType": "StatementRef", "id": target_id},
        "timestamp": timestamp(at),
    }
