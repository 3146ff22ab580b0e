"""`{% object_history obj as history %}`: the object's audit history for its page (None for
those who may not read the log); render it with compliance/partials/history.html. One query."""

from __future__ import annotations

from typing import Any

from django import template

from compliance.audit_views import History, history_of

register = template.Library()


@register.simple_tag(takes_context=True)
def object_history(context: template.Context, obj: Any) -> History | None:
    request = context.get("request")
    return None if request is None else history_of(request, obj)
