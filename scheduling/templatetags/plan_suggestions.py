"""`{% plan_suggestions plan report as suggestions %}`: the next free weeks for a new-session
plan whose check found bookings, closures or absences in the way (`services.suggestions`).

A tag rather than a view change so that the check report (`partials/check_report.html`) shows
them wherever it is rendered: the htmx check, the full-page check and the shifted plan.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from scheduling.services.suggestions import Suggestion
from scheduling.services.suggestions import plan_suggestions as find

register = template.Library()


@register.simple_tag
def plan_suggestions(plan: Any, report: Any) -> list[Suggestion]:
    if report is None or report.ok or not plan.is_valid():
        return []
    return find(plan.to_proposal(), report, now=timezone.now())
