"""Learner accounts: invite (create the account with the learner role and queue the
invitation with its set-password link), change, deactivate, and the reads that list and search
them. The account is the user row Django owns; the role is the Learner group. They live in
attendance, the learner's side, because the invitation goes through the outbox (`tms` imports
no app).

One transaction per write; the invitation is an outbox row written in the same transaction as
the account (`notifications.services.messages_enqueue`), rendered at send time by
`attendance.learner_emails`, which makes the set-password link then (a link stored in the
database would be a password waiting to be read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import events
from notifications.services import MessageSpec, messages_enqueue
from tms.account_search import with_every_word
from tms.exceptions import RuleViolation
from tms.roles import Role
from tms.services import profile_set_department_locked
from tms.writes import apply_changes, clean_and_save

INVITATION_TEMPLATE = "learner_invitation"
LEARNER_FIELDS = frozenset({"first_name", "last_name", "email", "is_active"})
SUGGESTIONS = 8


# --- Reads ------------------------------------------------------------------------------------


def learner_list() -> QuerySet[User]:
    """Accounts holding the learner role, by name."""
    return User.objects.filter(groups__name=Role.LEARNER).order_by(
        "last_name", "first_name", "email", "pk"
    )


def learner_search(learners: QuerySet[User], text: str) -> QuerySet[User]:
    """Narrow to accounts whose name, email or username contains every word of `text`."""
    return with_every_word(learners, text)


def learner_suggestions(text: str) -> list[User]:
    """A few active learners matching `text`, for the enrolment picker."""
    if not text.strip():
        return []
    return list(learner_search(learner_list().filter(is_active=True), text)[:SUGGESTIONS])


def learner_get(user_id: int) -> User:
    return learner_list().get(pk=user_id)


# --- Writes -----------------------------------------------------------------------------------


def learner_invite(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    department: str = "",
    invited_by: User | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Create an account with the learner role and no usable password, and queue the
    invitation email (set-password link) in the same transaction. An address already used by
    an account is refused (400 on `email`): give that account the role instead."""
    now = now or timezone.now()
    email = email.strip()
    with transaction.atomic(durable=True):
        _refuse_taken_email(email)
        user = User(
            username=email.lower()[:150],
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
        )
        user.set_unusable_password()
        clean_and_save(user)
        user.groups.add(Group.objects.get_or_create(name=Role.LEARNER)[0])
        if department.strip():
            profile_set_department_locked(user=user, department=department)
        _queue_invitation(user, invited_by=invited_by, now=now, copy=0)
    return user


def learner_invite_again(
    *, user_id: int, invited_by: User | None = None, now: dt.datetime | None = None
) -> int:
    """Queue another invitation for a learner who has not set a password yet (409-free: a
    learner who has one is refused with a 400)."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        user = learner_list().select_for_update(of=("self",)).get(pk=user_id)
        if user.has_usable_password():
            raise RuleViolation(_("%s has already set a password.") % user.email)
        copies = user.messages.filter(template=INVITATION_TEMPLATE).count()
        return _queue_invitation(user, invited_by=invited_by, now=now, copy=copies)


def learner_update(*, user_id: int, changes: Mapping[str, Any]) -> User:
    """Change a learner's name, address, department or whether the account is active."""
    with transaction.atomic(durable=True):
        user = learner_list().select_for_update(of=("self",)).get(pk=user_id)
        changes = dict(changes)
        department = changes.pop("department", None)
        if department is not None:
            profile_set_department_locked(user=user, department=str(department))
        if "email" in changes:
            changes["email"] = str(changes["email"]).strip()
            _refuse_taken_email(changes["email"], other_than=user.pk)
        return clean_and_save(apply_changes(user, changes, LEARNER_FIELDS))


def learner_deactivate(*, user_id: int) -> User:
    """Accounts are never deleted here (their registrations and history stay): a deactivated
    learner cannot sign in or be enrolled from the picker."""
    return learner_update(user_id=user_id, changes={"is_active": False})


def _refuse_taken_email(email: str, *, other_than: int | None = None) -> None:
    taken = User.objects.filter(email__iexact=email)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    if email and taken.exists():
        message = _("An account already uses %s.") % email
        raise RuleViolation(message, fields={"email": [message]})


def _queue_invitation(user: User, *, invited_by: User | None, now: dt.datetime, copy: int) -> int:
    inviter = (invited_by.get_full_name() or invited_by.get_username()) if invited_by else ""
    return messages_enqueue(
        [
            MessageSpec(
                address=user.email,
                event_key=events.account_invited(user.pk, copy),
                template=INVITATION_TEMPLATE,
                rule="learner invitation",
                context={"invited_by": inviter},
                recipient_id=user.pk,
            )
        ],
        now=now,
    )
