"""A coordinator messages everyone registered for a session ("message everyone registered").

One transaction: the message is kept (who sent it, when, to whom: `RosterMessage`) and one
outbox row per learner is queued (event key `notifications.events.roster_message`), so either
all learners get it or none is written. The email is rendered at send time in each learner's
own zone, with the session's dates (attendance.emails.build_roster_message).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.models import Registration, RegistrationStatus, RosterAudience, RosterMessage
from notifications import events
from notifications.services import MessageSpec, messages_enqueue
from scheduling.models import Session
from tms.exceptions import RuleViolation

SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 5000
TEMPLATE = "roster_message"

AUDIENCE_STATUSES: dict[str, tuple[str, ...]] = {
    RosterAudience.CONFIRMED: (RegistrationStatus.CONFIRMED,),
    RosterAudience.EVERYONE: (
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.OFFERED,
        RegistrationStatus.WAITLISTED,
    ),
}


def _check(subject: str, body: str, audience: str) -> None:
    problems: dict[str, list[str]] = {}
    if not subject:
        problems["subject"] = [_("Required.")]
    elif len(subject) > SUBJECT_MAX_LENGTH:
        problems["subject"] = [_("At most %d characters.") % SUBJECT_MAX_LENGTH]
    if not body:
        problems["body"] = [_("Required.")]
    elif len(body) > BODY_MAX_LENGTH:
        problems["body"] = [_("At most %d characters.") % BODY_MAX_LENGTH]
    if audience not in AUDIENCE_STATUSES:
        problems["audience"] = [_("Choose who receives the message.")]
    if problems:
        raise RuleViolation(_("Check the message and try again."), fields=problems)


def roster_message_send(
    *,
    session_id: int,
    sent_by: User,
    subject: str,
    body: str,
    audience: str,
    now: dt.datetime | None = None,
) -> RosterMessage:
    """Keep the message and queue it to every learner in `audience` (confirmed only, or
    everyone registered: confirmed, offered and waitlisted), one outbox row each, in one
    transaction. Refused when nobody is in the audience. No lock: a learner registering at the
    same moment gets the session's own emails, and this message is about the session as it is."""
    now = now or timezone.now()
    subject, body = subject.strip(), body.strip()
    _check(subject, body, audience)
    with transaction.atomic(durable=True):
        session = Session.objects.get(pk=session_id)
        learners = [
            registration.learner
            for registration in Registration.objects.filter(
                session=session, status__in=AUDIENCE_STATUSES[audience]
            )
            .select_related("learner")
            .order_by("pk")
        ]
        if not learners:
            raise RuleViolation(
                _("Nobody to message: no learner is registered in the chosen group."),
                fields={"audience": [_("Nobody in this group.")]},
            )
        message = RosterMessage.objects.create(
            session=session,
            sent_by=sent_by,
            audience=audience,
            subject=subject,
            body=body,
        )
        message.recipients.add(*learners)
        messages_enqueue(
            [
                MessageSpec(
                    address=learner.email,
                    recipient_id=learner.pk,
                    event_key=events.roster_message(message.pk, learner.pk),
                    template=TEMPLATE,
                    rule=_("message from the coordinator"),
                    context={"roster_message_id": message.pk},
                )
                for learner in learners
            ],
            now=now,
        )
    return message
