"""Message builders and previews, registered by the apps that cause messages (notifications
imports none of them).

A builder turns an outbox row's stored facts into what is sent: subject, template context and,
for calendar invites, an iCalendar attachment. A preview source lists what an app will queue
in the coming hours (the ledger shows it). Apps register both in `AppConfig.ready()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from notifications.models import OutboxMessage


@dataclass
class Rendered:
    subject: str
    context: dict[str, Any] = field(default_factory=dict)
    # (ics text, METHOD) for an invite; None for a plain message.
    calendar: tuple[str, str] | None = None
    # The zone the recipient reads times in: templates render every time in it.
    time_zone: str = "UTC"


class Superseded(Exception):
    """Raised by a builder when its message is no longer true at send time (a "waitlisted"
    mail for a learner who has a seat by now): it is not sent, and the ledger says why."""


Builder = Callable[[OutboxMessage], Rendered]
_BUILDERS: dict[str, Builder] = {}


def register(template: str, builder: Builder) -> None:
    _BUILDERS[template] = builder


def build(message: OutboxMessage) -> Rendered:
    try:
        builder = _BUILDERS[message.template]
    except KeyError:
        raise LookupError(f"No message builder registered for {message.template!r}") from None
    return builder(message)


# (now, hours) -> rows of what will be queued, each with a "when" datetime.
PreviewSource = Callable[..., list[dict[str, Any]]]
_PREVIEWS: list[PreviewSource] = []


def register_preview(source: PreviewSource) -> None:
    if source not in _PREVIEWS:
        _PREVIEWS.append(source)


def preview(*, now: Any = None, hours: int = 48) -> list[dict[str, Any]]:
    """What every registered app will queue in the next `hours`, soonest first."""
    rows = [row for source in _PREVIEWS for row in source(now=now, hours=hours)]
    return sorted(rows, key=lambda row: row["when"])
