"""`{% load check_in %}{% check_in_link session %}`: a link to the session's check-in panel for
those who may show its code (coordinators, the session's instructors), on in-room sessions."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from attendance.access import may_show_code
from scheduling.models import DeliveryMode

register = template.Library()


@register.simple_tag(takes_context=True)
def check_in_link(context: template.Context, session: Any) -> SafeString | str:
    request = context.get("request")
    if request is None or session.delivery_mode != DeliveryMode.ILT:
        return ""
    if not may_show_code(request.user, session):
        return ""
    return format_html(
        '<p class="check-in-link"><a class="button button--secondary" href="{}">{}</a></p>',
        reverse("attendance:check-in-start", args=[session.pk]),
        _("Show the check-in code"),
    )
