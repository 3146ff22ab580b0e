"""Outbound xAPI: the LMS learns who attended the live part, through the outbox's xAPI channel.

`statements_queue_for_session` runs inside the transaction that signs a session off, or that
makes a late edit after sign-off (the doors in tms/sign_off.py), and writes outbox rows there,
so a statement is queued exactly when its cause commits; a Redis or worker outage only delays
it. Each row carries its whole statement, built now: retries PUT the same bytes under the same
id. What the LRS has been told is read back from those rows (event keys
`notifications.events.xapi_statement`): a learner's live `attended` / `completed` statement
whose facts no longer hold is voided, and a new version sent when a statement holds again or
says something else. Off (no rows) while no LRS is configured.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection

from attendance.models import (
    ATTENDED,
    AttendanceRecord,
    AttendanceSignOff,
    AttendanceStatus,
    Completion,
    CompletionStatus,
    Registration,
    RegistrationStatus,
)
from attendance.services.outcomes import session_block_lengths
from notifications import events, registry
from notifications.models import MessageChannel, OutboxMessage
from notifications.services import MessageSpec, messages_enqueue
from programs.outbound import statements
from programs.outbound.statements import Outcome, Person
from scheduling.models import AssignmentRole, InstructorAssignment, Session

TEMPLATE = "xapi_statement"
RULE = "xAPI: attendance signed off"
LATE_RULE = "xAPI: late edit after sign-off"
# pg_advisory_xact_lock namespace of one session's outbound statements (7301, 7302: attendance).
SESSION_LOCK = 7310
VERBS = (statements.ATTENDED, statements.COMPLETED)


def xapi_enabled() -> bool:
    return bool(settings.XAPI_LRS_ENDPOINT)


def _person(user: Any) -> Person:
    return Person(
        name=str(user.get_full_name() or user.get_username()),
        email=user.email or "",
        username=user.get_username(),
    )


def _outcomes(session: Session) -> list[Outcome]:
    """Each confirmed learner's outcome, from their records in the active blocks and their
    completion. Five queries."""
    blocks = session_block_lengths(session.pk)
    lengths = {block.block_id: block.minutes for block in blocks}
    lead = (
        InstructorAssignment.objects.filter(session=session, role=AssignmentRole.LEAD)
        .select_related("instructor__user")
        .first()
    )
    registrations = list(
        Registration.objects.filter(session=session, status=RegistrationStatus.CONFIRMED)
        .select_related("learner")
        .order_by("pk")
    )
    records: dict[int, list[AttendanceRecord]] = {r.pk: [] for r in registrations}
    for record in AttendanceRecord.objects.filter(
        registration__in=registrations, block_id__in=lengths
    ):
        records[record.registration_id].append(record)
    completed = set(
        Completion.objects.filter(
            registration__in=registrations, status=CompletionStatus.COMPLETED
        ).values_list("registration_id", flat=True)
    )
    found = []
    for registration in registrations:
        mine = records[registration.pk]
        minutes: int | None = 0
        for record in mine:
            if record.status not in ATTENDED or minutes is None:
                continue
            if record.minutes_attended is not None:
                minutes += min(record.minutes_attended, lengths[record.block_id])
            elif record.status == AttendanceStatus.PRESENT:
                minutes += lengths[record.block_id]
            else:
                minutes = None  # late or left early, for an unknown part of the block
        found.append(
            Outcome(
                session_id=session.pk,
                course_id=session.course_id,
                course_code=session.course.code,
                course_title=session.course.title,
                registration_id=registration.pk,
                learner_id=registration.learner_id,
                learner=_person(registration.learner),
                instructor=_person(lead.instructor.user) if lead else None,
                minutes=minutes,
                attended=any(record.status in ATTENDED for record in mine),
                completed=registration.pk in completed,
            )
        )
    return found


def _told(session_id: int) -> dict[tuple[int, str], dict[str, Any]]:
    """What the outbox has said about the session, per (learner, verb): the newest version,
    its statement id and facts, whether it was voided, and the learner's address and id."""
    told: dict[tuple[int, str], dict[str, Any]] = {}
    voided: set[tuple[int, str, int]] = set()
    rows = OutboxMessage.objects.filter(
        channel=MessageChannel.XAPI, event_key__startswith=events.xapi_statements(session_id)
    ).values_list("address", "recipient_id", "context")
    for address, recipient_id, context in rows:
        key = (context["learner_id"], context["verb"])
        if context["kind"] == "void":
            voided.add((*key, context["version"]))
        elif context["version"] > told.get(key, {"version": 0})["version"]:
            told[key] = {**context, "address": address, "recipient_id": recipient_id}
    for (learner_id, verb), last in told.items():
        last["live"] = (learner_id, verb, last["version"]) not in voided
    return told


def statements_queue_for_session(*, session_id: int, now: dt.datetime) -> int:
    """Queue the statements that make the LRS's live statements about `session_id` say what
    its signed-off attendance says now; returns how many rows were written (none before
    sign-off, none when nothing changed, none while no LRS is configured).

    Runs inside the caller's transaction (sign-off or a late edit); takes a transaction-level
    advisory lock per session, so two late edits of one session read and write what the LRS
    was told one after the other."""
    if not xapi_enabled():
        return 0
    sign_off = AttendanceSignOff.objects.filter(session_id=session_id).first()
    if sign_off is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SESSION_LOCK, session_id % 2**31])
    session = Session.objects.select_related("course").get(pk=session_id)
    told = _told(session_id)
    outcomes = {outcome.learner_id: outcome for outcome in _outcomes(session)}
    specs = []
    learners = sorted({*outcomes, *(learner for learner, _verb in told)})
    for learner_id in learners:
        outcome = outcomes.get(learner_id)
        for verb in VERBS:
            wanted = statements.facts(outcome, verb) if outcome else None
            last = told.get((learner_id, verb))
            if last is not None and last["live"] and last["facts"] == wanted:
                continue
            if last is None and wanted is None:
                continue
            if last is not None and not last["live"] and wanted is None:
                continue
            if last is not None and last["live"]:
                specs.append(_voiding_spec(session_id, learner_id, verb, last, now))
            if wanted is not None and outcome is not None:
                version = last["version"] + 1 if last else 1
                at = sign_off.signed_off_at if version == 1 else now
                specs.append(_statement_spec(outcome, verb, version, wanted, at))
    return messages_enqueue(specs, now=now)


def _statement_spec(
    outcome: Outcome, verb: str, version: int, facts: dict[str, Any], at: dt.datetime
) -> MessageSpec:
    made = statements.statement(outcome, verb, version, at=at)
    return MessageSpec(
        channel=MessageChannel.XAPI,
        address=outcome.learner.email or outcome.learner.username,
        recipient_id=outcome.learner_id,
        event_key=events.xapi_statement(outcome.session_id, outcome.learner_id, verb, version),
        template=TEMPLATE,
        rule=RULE if version == 1 else LATE_RULE,
        context={
            "kind": "statement",
            "learner_id": outcome.learner_id,
            "verb": verb,
            "version": version,
            "facts": facts,
            "statement_id": made["id"],
            "summary": f"{outcome.learner.name} {verb} {outcome.course_title} "
            f"(session #{outcome.session_id})",
            "statement": made,
        },
    )


def _voiding_spec(
    session_id: int, learner_id: int, verb: str, last: dict[str, Any], now: dt.datetime
) -> MessageSpec:
    made = statements.voiding(last["statement_id"], at=now)
    return MessageSpec(
        channel=MessageChannel.XAPI,
        address=last["address"],
        recipient_id=last["recipient_id"],
        event_key=events.xapi_voiding(session_id, learner_id, verb, last["version"]),
        template=TEMPLATE,
        rule=LATE_RULE,
        context={
            "kind": "void",
            "learner_id": learner_id,
            "verb": verb,
            "version": last["version"],
            "statement_id": made["id"],
            "summary": f"voided: {last['summary']}",
            "statement": made,
        },
    )


def build_statement(message: OutboxMessage) -> registry.Rendered:
    """The outbox builder of xAPI rows: the statement stored when the row was queued."""
    return registry.Rendered(
        subject=str(message.context["summary"])[:300],
        context={"statement": message.context["statement"]},
    )
