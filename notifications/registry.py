"""Message builders, registered by the apps that cause messages (notifications imports none).

A builder turns an outbox row's stored facts into what is sent: subject, template context and,
for calendar invites, an iCalendar attachment. Apps register builders in `AppConfig.ready()`.
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
