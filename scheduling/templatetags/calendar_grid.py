"""`{% load calendar_grid %}{% cal_entry_text piece %}`: an entry's text on the calendar pages
(title as a link, times in the viewer's zone, the venue's time, place, links), built in Python:
a month with hundreds of entries renders in a few milliseconds, where an include per entry
took over a hundred."""

from __future__ import annotations

from functools import cache
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from scheduling.calendar.grid import Day, Piece

register = template.Library()


@cache
def _phrases(language: str | None) -> dict[str, str]:
    return {
        "before": _("continued from the day before"),
        "after": _("continues the next day"),
        "join": _("Join link"),
    }


def _text(piece: Piece) -> str:
    """The entry's HTML (stdlib escaping and plain joins: this runs for every entry)."""
    entry = piece.entry
    words = _phrases(get_language())
    title = escape(entry.title)
    if entry.url:
        parts = [f'<a class="cal-entry__title" href="{escape(entry.url)}">{title}</a>']
    else:
        parts = [f'<strong class="cal-entry__title">{title}</strong>']
    if entry.note:
        parts.append(f'<span class="cal-entry__note">{escape(entry.note)}</span>')
    parts.append(f'<span class="cal-entry__time">{escape(piece.time_text)}</span>')
    if piece.venue_text:
        parts.append(f'<span class="cal-entry__venue">({escape(piece.venue_text)})</span>')
    if piece.continues_before:
        parts.append(f'<span class="cal-entry__cont">{words["before"]}</span>')
    if piece.continues_after:
        parts.append(f'<span class="cal-entry__cont">{words["after"]}</span>')
    parts += [f'<span class="cal-entry__detail">{escape(d)}</span>' for d in entry.details]
    if entry.join_url:
        parts.append(
            f'<a class="cal-entry__join" href="{escape(entry.join_url)}" '
            f'rel="noopener noreferrer">{words["join"]}'
            f'<span class="visually-hidden"> {title}</span></a>'
        )
    for label, url in entry.links:
        parts.append(
            f'<a class="cal-entry__link" href="{escape(url)}">{escape(label)}'
            f'<span class="visually-hidden"> {title}, {escape(piece.time_text)}</span></a>'
        )
    return "\n".join(parts)


@register.simple_tag
def cal_entry_text(piece: Piece) -> SafeString:
    return mark_safe(_text(piece))  # noqa: S308 - every value is escaped in _text


@register.simple_tag
def cal_month_items(day: Day) -> SafeString:
    """A month cell's entries: start time (or "…" when continued) and the entry's text."""
    items = []
    for piece in day.pieces:
        start = "\N{HORIZONTAL ELLIPSIS}" if piece.continues_before else piece.start_label
        kind = escape(str(piece.entry.kind))
        items.append(
            f'<li class="cal-mentry cal-mentry--{kind}" data-key="{escape(piece.entry.key)}">'
            f'<span class="cal-mentry__start" aria-hidden="true">{start}</span>\n'
            f"{_text(piece)}</li>"
        )
    return mark_safe("".join(items))  # noqa: S308 - every value is escaped in _text
