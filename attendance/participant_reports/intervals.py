"""Intervals of presence: merge overlapping ones (rejoins, two devices) and clip to a block.

Pure functions on aware datetimes; no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

Interval = tuple[dt.datetime, dt.datetime]


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of `intervals` as disjoint intervals in time order. Touching intervals (a
    leave at 10:00 and a rejoin at 10:00) become one; empty or reversed ones are dropped."""
    ordered = sorted((start, end) for start, end in intervals if end > start)
    merged: list[Interval] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def clip_intervals(
    intervals: Iterable[Interval], *, start: dt.datetime, end: dt.datetime
) -> list[Interval]:
    """The parts of `intervals` inside [start, end), merged."""
    clipped = ((max(a, start), min(b, end)) for a, b in intervals)
    return merge_intervals(clipped)


def total_seconds(intervals: Iterable[Interval]) -> int:
    """Length of the union of `intervals`, in whole seconds (overlaps counted once)."""
    return int(sum((b - a).total_seconds() for a, b in merge_intervals(intervals)))
