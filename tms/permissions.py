"""Who may do what through the API: one policy table and the DRF permission class reading it.

`POLICY` maps resource → action → role → scope. A role missing from an action's row has no
access; a user without a role (or not signed in) has none anywhere. Scopes:

- ``all``: every object;
- ``own``: objects that belong to the user (their instructor profile and its parts, the
  assignments and sessions they teach);
- ``published``: the published catalog (active courses; scheduled sessions of active courses);
- ``own_or_published``: both of the above.

Every API view names its `policy_resource` and maps each HTTP method to an action in
`policy_actions`. `PolicyPermission` (the default permission class) refuses any view without a
rule. Which objects a scope covers is decided by the querysets (selectors): an object outside
the scope is not found (404); `has_object_permission` checks "own" and "published" once more on
the object itself. The table is walked by tests/api/test_policy.py, so a route without a rule
fails the build.

This module stays free of DRF views and drf-spectacular: DRF imports it while loading its own
views (DEFAULT_PERMISSION_CLASSES). The view base class is `tms.api.PolicyMixin`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from tms.roles import Role, roles_of

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class Scope(enum.StrEnum):
    ALL = "all"
    OWN = "own"
    PUBLISHED = "published"
    OWN_OR_PUBLISHED = "own_or_published"


CO, IN, LE, AU = Role.COORDINATOR, Role.INSTRUCTOR, Role.LEARNER, Role.AUDITOR
ALL, OWN, PUBLISHED = Scope.ALL, Scope.OWN, Scope.PUBLISHED
OWN_OR_PUBLISHED = Scope.OWN_OR_PUBLISHED

_COORDINATOR_ONLY = {CO: ALL}
_READ_ALL = {CO: ALL, AU: ALL}
_CATALOG = {CO: ALL, AU: ALL, IN: ALL, LE: ALL}

# fmt: off
_POLICY: dict[str, dict[str, dict[str, Scope]]] = {
    # Catalog and schedule -----------------------------------------------------------------
    "course": {
        "list":        {CO: ALL, AU: ALL, IN: PUBLISHED, LE: PUBLISHED},
        "retrieve":    {CO: ALL, AU: ALL, IN: PUBLISHED, LE: PUBLISHED},
        "create":      _COORDINATOR_ONLY,
        "update":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,
    },
    "session": {
        "list":        {CO: ALL, AU: ALL, IN: OWN_OR_PUBLISHED, LE: PUBLISHED},
        "retrieve":    {CO: ALL, AU: ALL, IN: OWN_OR_PUBLISHED, LE: PUBLISHED},
        "create":      _COORDINATOR_ONLY,
        "update":      _COORDINATOR_ONLY,
        "transition":  _COORDINATOR_ONLY,
        "reschedule":  _COORDINATOR_ONLY,
    },
    "session_block": {
        "create":      _COORDINATOR_ONLY,
        "cancel":      _COORDINATOR_ONLY,
        "restore":     _COORDINATOR_ONLY,
    },
    "assignment": {
        "list":        {CO: ALL, AU: ALL, IN: OWN},
        "create":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,
    },
    # The plan check: previews a schedule, writes nothing, but is a scheduling tool.
    "preview": {
        "check":       _COORDINATOR_ONLY,
    },
    "availability": {
        "rooms":       _READ_ALL,
        "instructors": _READ_ALL,
    },
    # Venues ---------------------------------------------------------------------------------
    "site": {
        "list":        _CATALOG,
        "retrieve":    _CATALOG,
        "create":      _COORDINATOR_ONLY,
        "update":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,
    },
    "room": {
        "list":        _CATALOG,
        "retrieve":    _CATALOG,
        "create":      _COORDINATOR_ONLY,
        "update":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,
    },
    "room_closure": {
        "list":        _READ_ALL,
        "retrieve":    _READ_ALL,
        "create":      _COORDINATOR_ONLY,
        "update":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,
    },
    "host_account": {
        "list":        _READ_ALL,
        "retrieve":    _READ_ALL,
        "create":      _COORDINATOR_ONLY,
        "update":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,
    },
    # Instructors: an instructor reads their own profile and its parts ----------------------
    "instructor": {
        "list":        {CO: ALL, AU: ALL, IN: OWN},
        "retrieve":    {CO: ALL, AU: ALL, IN: OWN},
        "create":      _COORDINATOR_ONLY,
        "update":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,
    },
    "qualification": {
        "list":        {CO: ALL, AU: ALL, IN: OWN},
        "retrieve":    {CO: ALL, AU: ALL, IN: OWN},
        "create":      _COORDINATOR_ONLY,
        "update":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,
    },
    "working_hours": {
        "list":        {CO: ALL, AU: ALL, IN: OWN},
        "retrieve":    {CO: ALL, AU: ALL, IN: OWN},
        "create":      _COORDINATOR_ONLY,
        "update":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,
    },
    # An instructor adds and removes their own (on "My calendar"); changes stay coordinators'.
    "unavailability": {
        "list":        {CO: ALL, AU: ALL, IN: OWN},
        "retrieve":    {CO: ALL, AU: ALL, IN: OWN},
        "create":      {CO: ALL, IN: OWN},
        "update":      _COORDINATOR_ONLY,
        "delete":      {CO: ALL, IN: OWN},
    },
    # Registrations and waitlists: a learner's own ("own" = registrations of the user; for an
    # instructor, registrations in the sessions they teach), a coordinator's for anyone --------
    "registration": {
        "list":          {CO: ALL, AU: ALL, IN: OWN, LE: OWN},
        "create":        {CO: ALL, LE: OWN},   # learner: self-register; coordinator: enrol
        "cancel":        {CO: ALL, LE: OWN},
        "respond_offer": {LE: OWN},
        "bulk_enrol":    _COORDINATOR_ONLY,
    },
    "roster": {
        "retrieve":    {CO: ALL, AU: ALL, IN: OWN},  # instructor: sessions they teach
        "message":     _COORDINATOR_ONLY,            # message everyone registered
    },
    # Attendance per block and its sign-off (attendance/access.py applies these rows, and those
    # of check_in, participant_report and roster, to one session: "own" = a session the
    # instructor teaches, lead or co-facilitator). Marking: the session's instructors and
    # coordinators; sign-off: the lead ("own" narrowed to leading), or a coordinator on their
    # behalf; auditors read every session's; learners read only their own records (the API
    # filters them).
    "attendance": {
        "retrieve":    {CO: ALL, AU: ALL, IN: OWN, LE: OWN},
        "mark":        {CO: ALL, IN: OWN},
        "sign_off":    {CO: ALL, IN: OWN},
    },
    "waitlist": {
        "move":        _COORDINATOR_ONLY,
        "promote":     _COORDINATOR_ONLY,            # a chosen learner, with a reason
    },
    "course_waitlist": {
        "list":        {CO: ALL, AU: ALL, LE: OWN},
        "create":      {LE: OWN},
        "delete":      {LE: OWN},
    },
    # Self check-in (attendance/services/check_in.py): learners check themselves in; the live
    # code is shown to coordinators and the session's instructors (not to auditors: it is a
    # key to a write, not a record) ----------------------------------------------------------
    "check_in": {
        "create":      {LE: OWN},
        "code":        {CO: ALL, IN: OWN},
    },
    # Participant reports of VILT blocks: the session's own instructors and coordinators
    # import them and resolve their unmatched participants; auditors read ---------------------
    "participant_report": {
        "retrieve":    {CO: ALL, AU: ALL, IN: OWN},
        "import":      {CO: ALL, IN: OWN},
        "resolve":     {CO: ALL, IN: OWN},
    },
    # Calendar pages (no API): "list" is the schedule of every session, "retrieve" one
    # instructor's calendar ------------------------------------------------------------------
    "calendar": {
        "list":        _READ_ALL,
        "retrieve":    {CO: ALL, AU: ALL, IN: OWN},
    },
    # Calendar subscription feeds: one's own learner and instructor feeds; coordinators any,
    # room and site feeds included (scheduling/services/feed_tokens.py may_manage_feed);
    # auditors see which exist (never their URLs). Reached through pages only --------------
    "calendar_feed": {
        "list":        {CO: ALL, AU: ALL, IN: OWN, LE: OWN},
        "manage":      {CO: ALL, IN: OWN, LE: OWN},
    },
    # Management pages (tms.crud): lists for coordinators and auditors; each write by its
    # resource's own rule above. Learner accounts (attendance.learner_accounts): pages only --
    "manage": {
        "list":        _READ_ALL,
    },
    "learner": {
        "create":      _COORDINATOR_ONLY,   # invite
        "update":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,   # deactivate
        "search":      _COORDINATOR_ONLY,   # the enrolment picker's suggestions
    },
    # Certifications and compliance: the catalogue is read by every role; a learner sees their
    # own certificates and their own place in the matrix -------------------------------------
    "certification": {
        "list":        _CATALOG,
        "retrieve":    _CATALOG,
        "create":      _COORDINATOR_ONLY,
        "update":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,
    },
    "learner_certification": {
        "list":        {CO: ALL, AU: ALL, LE: OWN},
        "retrieve":    {CO: ALL, AU: ALL, LE: OWN},   # the record and its PDF certificate
    },
    "requirement": {
        "list":        _READ_ALL,
        "retrieve":    _READ_ALL,
        "create":      _COORDINATOR_ONLY,
        "update":      _COORDINATOR_ONLY,
        "delete":      _COORDINATOR_ONLY,
    },
    "compliance_matrix": {
        "retrieve":    {CO: ALL, AU: ALL, LE: OWN},
    },
    # A learner's record (compliance/learner_record.py): registrations, attendance, outcomes,
    # certificates, requirements and their history, for auditors and coordinators. Learners
    # read their own records on "My training" and "My certificates" instead ----------------
    "learner_record": {
        "retrieve":    _READ_ALL,
    },
    # Exports for auditors (compliance/exports/): auditors and coordinators export every
    # dataset; a learner only their own transcript ("own": the records they requested, the
    # learner filter forced to them). Creating an export writes only its record ------------
    "export": {
        "list":        {CO: ALL, AU: ALL, LE: OWN},
        "create":      {CO: ALL, AU: ALL, LE: OWN},
        "retrieve":    {CO: ALL, AU: ALL, LE: OWN},
    },
    # Notifications ----------------------------------------------------------------------------
    "ledger": {
        "list":        _READ_ALL,
        "resend":      _COORDINATOR_ONLY,
    },
    # Compliance: the audit log (compliance/audit.py) is read, never written, by people -------
    "audit_log": {
        "list":        _READ_ALL,
    },
}
# fmt: on

PolicyTable = Mapping[str, Mapping[str, Mapping[str, Scope]]]

POLICY: PolicyTable = MappingProxyType(
    {
        resource: MappingProxyType(
            {action: MappingProxyType(dict(rule)) for action, rule in actions.items()}
        )
        for resource, actions in _POLICY.items()
    }
)


def policy_table() -> PolicyTable:
    """The whole table (read-only), for views, docs and the tests that walk it."""
    return POLICY


def _merge(a: Scope | None, b: Scope) -> Scope:
    if a is None or a == b:
        return b
    if ALL in (a, b):
        return ALL
    return OWN_OR_PUBLISHED  # any two different partial scopes cover own and published


def scope_for(user: AbstractBaseUser | AnonymousUser, resource: str, action: str) -> Scope | None:
    """The widest scope any of the user's roles grants for `action` on `resource`."""
    rule = POLICY.get(resource, {}).get(action)
    if rule is None:
        return None
    scope: Scope | None = None
    for role in roles_of(user):
        granted = rule.get(role)
        if granted is not None:
            scope = _merge(scope, granted)
    return scope


def action_for(view: APIView, method: str) -> str | None:
    """The policy action a request method means on `view` (HEAD reads like GET)."""
    actions: Mapping[str, str] = getattr(view, "policy_actions", {})
    return actions.get("GET" if method == "HEAD" else method)


class PolicyPermission(BasePermission):
    """Allow a request only if the policy table grants its action to one of the user's roles.

    Views without `policy_resource`, or methods without an action, are refused. The granted
    scope is stored on the view (`view.policy_scope`) for its queryset and output.
    """

    message = _("Your role does not allow this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        resource = getattr(view, "policy_resource", None)
        action = action_for(view, request.method or "")
        if resource is None or action is None:
            return False
        scope = scope_for(request.user, resource, action)
        if scope is None:
            return False
        view.policy_scope = scope  # type: ignore[attr-defined]
        return True

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        scope = getattr(view, "policy_scope", None)
        owns = getattr(view, "policy_owns", _never)
        published = getattr(view, "policy_published", _never)
        if scope == ALL:
            return True
        if scope in (OWN, OWN_OR_PUBLISHED) and owns(obj):
            return True
        return scope in (PUBLISHED, OWN_OR_PUBLISHED) and bool(published(obj))


def _never(obj: Any) -> bool:
    return False
