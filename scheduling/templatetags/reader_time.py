"""Times as the reader reads them, on every page: `{% load reader_time %}`.

- `{% block_when starts ends session %}`: "Mon 4 Mar 2030, 03:00-06:00 EST (09:00-12:00 CET at
  the venue)" (en dashes): the reader's time, named, and the venue's where its clock reads
  differently.
- `{% session_when session %}`: the same for a session's first active block (its blocks
  prefetched), else for its start alone.
- `{% reader_zone session as zone %}`: the reader's zone for this session, for `{% timezone %}`.
- `{% reader_preference as zone %}`: the zone the reader chose or implies (None: each venue's).

The reader's zone is `tms.timezones.reader_zone`: their settings, an instructor's home zone,
the browser's zone, then the session's (venue's) zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from scheduling.models import BlockStatus, DeliveryMode
from tms.timezones import ReaderSpan, preferred_zone, reader_span

register = template.Library()

_UNSET = object()


def _preference(context: template.Context) -> str | None:
    """The request's reader preference, worked out once per request."""
    request = context.get("request")
    if request is None:
        return None
    cached = getattr(request, "_reader_zone_preference", _UNSET)
    if cached is _UNSET:
        cached = preferred_zone(request.user, browser_zone=request.COOKIES.get("tz"))
        request._reader_zone_preference = cached
    return cached  # type: ignore[return-value]


@register.simple_tag(takes_context=True)
def reader_preference(context: template.Context) -> str | None:
    return _preference(context)


@register.simple_tag(takes_context=True)
def reader_zone(context: template.Context, session: Any) -> str:
    return _preference(context) or str(session.time_zone)


def render_span(span: ReaderSpan, *, online: bool) -> SafeString:
    reader = span.reader
    html = format_html(
        '<time datetime="{}">{}</time>, <span class="nowrap">{}</span>',
        reader.starts.isoformat(),
        reader.date_text(),
        reader.times_text(),
    )
    if span.venue is None:
        return html
    if online:
        venue = _("(%(times)s session time)") % {"times": span.venue_text()}
    else:
        venue = _("(%(times)s at the venue)") % {"times": span.venue_text()}
    return format_html('{} <span class="venue-time">{}</span>', html, venue)


@register.simple_tag(takes_context=True)
def block_when(
    context: template.Context, starts: dt.datetime, ends: dt.datetime | None, session: Any
) -> SafeString:
    span = reader_span(starts, ends, reader=reader_zone(context, session), venue=session.time_zone)
    return render_span(span, online=session.delivery_mode == DeliveryMode.VILT)


def _first_active_block(session: Any) -> Any:
    """The first active block, only from prefetched blocks (never a query per session)."""
    prefetched = getattr(session, "_prefetched_objects_cache", {}).get("blocks")
    if prefetched is None:
        return None
    active = [b for b in prefetched if b.status == BlockStatus.ACTIVE]
    return min(active, key=lambda b: b.starts_at) if active else None


@register.simple_tag(takes_context=True)
def session_when(context: template.Context, session: Any) -> SafeString | str:
    block = _first_active_block(session)
    if block is not None:
        return block_when(context, block.starts_at, block.ends_at, session)
    if session.starts_at is None:
        return "—"
    return block_when(context, session.starts_at, None, session)
