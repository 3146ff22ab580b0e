"""Who may take or see a session's attendance: the policy table applied to one session.

The table (`tms.permissions.POLICY`) says which roles may do an action at all, and with which
scope. For the session-wide attendance resources (`attendance`, `check_in` code,
`participant_report`, `roster`) scope "all" means every session and "own" means a session the
user teaches: any instructor of it, lead or co-facilitator (sign-off alone narrows "own" to the
lead). So only the session's instructors and coordinators mark, import reports and show the
check-in code; auditors read every session's and change nothing; a learner's "own" is their
own records, never a whole session, so no learner is granted a session here (the API filters
their records instead).

Every page, API view, selector and template tag that decides on one of these asks this module;
tests/web/test_attendance_access.py walks each path (page and API) per persona.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scheduling.models import AssignmentRole, Session
from tms.permissions import POLICY, Scope
from tms.roles import Role, roles_of

# Scopes that cover the sessions a user teaches.
_OWN_SCOPES = (Scope.OWN, Scope.OWN_OR_PUBLISHED)


def _assignments_of(session: Session) -> list[tuple[int, str]]:
    """(user id, role) of the session's instructors: from `session.assignments` when
    prefetched (`session_list_for` does), else one query."""
    if "assignments" in getattr(session, "_prefetched_objects_cache", {}):
        return [(a.instructor.user_id, a.role) for a in session.assignments.all()]
    return list(session.assignments.values_list("instructor__user_id", "role"))


def teaches(user: Any, session: Session) -> bool:
    """Any instructor of the session: lead or co-facilitator."""
    return any(pk == user.pk for pk, _role in _assignments_of(session))


def leads(user: Any, session: Session) -> bool:
    """The session's lead instructor."""
    return (user.pk, AssignmentRole.LEAD) in _assignments_of(session)


def on_session(
    user: Any,
    session: Session,
    resource: str,
    action: str,
    *,
    own: Callable[[Any, Session], bool] = teaches,
) -> bool:
    """May `user` do `action` on `resource` for the whole of `session`? A role granted "all"
    may; an instructor granted "own" may if `own(user, session)` (by default: teaches it)."""
    rule = POLICY.get(resource, {}).get(action, {})
    held = roles_of(user)
    if any(rule.get(role) == Scope.ALL for role in held):
        return True
    return (
        Role.INSTRUCTOR in held and rule.get(Role.INSTRUCTOR) in _OWN_SCOPES and own(user, session)
    )


def may_mark(user: Any, session: Session) -> bool:
    """Mark attendance (the sheet, all present, the API): instructors of the session and
    coordinators."""
    return on_session(user, session, "attendance", "mark")


def may_read_all(user: Any, session: Session) -> bool:
    """Read every learner's attendance of the session: its markers and auditors (learners read
    only their own records, through the API)."""
    return on_session(user, session, "attendance", "retrieve")


def may_sign_off(user: Any, session: Session) -> bool:
    """Submit the attendance: the session's lead instructor, or a coordinator on their
    behalf."""
    return on_session(user, session, "attendance", "sign_off", own=leads)


def may_show_code(user: Any, session: Session) -> bool:
    """Show the live check-in code (panel, API, the link to the panel): instructors of the
    session and coordinators; not auditors (the code is a key to a write, not a record)."""
    return on_session(user, session, "check_in", "code")


def may_use_reports(user: Any, session: Session, action: str) -> bool:
    """Participant reports of the session's blocks: `retrieve` (auditors too), `import` and
    `resolve` (instructors of the session and coordinators)."""
    return on_session(user, session, "participant_report", action)


def may_see_roster(user: Any, session: Session) -> bool:
    """The roster and waitlist: coordinators and auditors, instructors of the session."""
    return on_session(user, session, "roster", "retrieve")
