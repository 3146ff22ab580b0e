"""iCalendar subscription feeds of the schedule: an instructor's teaching, a room's and a site's
bookings (the learner's feed is attendance/calendar_feed.py, built from the same parts).

What a feed holds (documented in the README, "Calendar feeds"):
- the window: blocks that ended at most 90 days before today (UTC), and every later one; it
  moves at midnight, so what a feed holds depends on the day and the rows only;
- one VEVENT per block, with the invites' UID for the feed's owner (`a<assignment id>` for an
  instructor, `room<id>`, `site<id>`), SEQUENCE = the session's schedule_version, DTSTAMP and
  LAST-MODIFIED = when the block, its session or (learner feeds) the registration last changed;
- cancelled blocks and sessions stay as STATUS:CANCELLED for 30 days after they were cancelled
  (their `updated_at`: a cancelled block or session is never edited again), to the end of that
  UTC day, then drop out; a
  draft session is TENTATIVE;
- no learner ever appears in a feed; a VILT join link only where the owner has a confirmed
  place (an assigned instructor, a confirmed learner); room and site feeds never carry one.

Validators (ETag, Last-Modified) without reading the feed: the database leaves a change mark
(scheduling.FeedChange, by triggers: scheduling/sql/scheduling_feed_changed.sql) for every
instructor, room and site whose feed a write touches, and one for the catalogue (courses, rooms,
sites); the ETag hashes the ids of the owner's and the catalogue's marks with the day (the
window moves at midnight), made with the token's lookup in one query (`feed_lookup`), whatever
the size of the feed. The learner's feed
(attendance/calendar_feed.py) is a learner's own registrations, few rows, whose table belongs
to attendance: its validators are an aggregate over its rows (`Feed.validators`).

Every fetch costs a constant number of queries: a schedule feed's 304 one (the token, its marks
and the fetch log), a full fetch three (the token and its marks, the rows, the log).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import Aggregate, Count, DateTimeField, F, Max, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from notifications.ical import block_uid
from notifications.ical_text import EventStatus, FeedEvent, calendar_text
from scheduling.emails import assignment_owner
from scheduling.models import (
    BlockStatus,
    Course,
    DeliveryMode,
    FeedKind,
    FeedToken,
    SessionBlock,
    SessionStatus,
)
from tms.db import PreparedStatement
from tms.links import absolute_link
from venues.models import Room, Site

if TYPE_CHECKING:
    from scheduling.services.feed_tokens import FeedLookup

WINDOW_BACK = dt.timedelta(days=90)
CANCELLED_KEPT = dt.timedelta(days=30)
# Part of every ETag: bump it when the text a feed writes changes shape.
FORMAT_VERSION = "1"
_SENTINEL = 987654321

# The columns every feed reads per block (values(): no model instances).
BLOCK_FIELDS = (
    "id",
    "starts_at",
    "ends_at",
    "status",
    "updated_at",
    "session_id",
    "session__status",
    "session__updated_at",
    "session__schedule_version",
    "session__time_zone",
    "session__delivery_mode",
    "session__join_url",
    "session__course__code",
    "session__course__title",
    "room__name",
    "room__site__name",
    "room__site__address",
)


def catalogue_changed() -> Greatest:
    """The newest change of any course, room or site; uncorrelated subqueries, so PostgreSQL
    evaluates them once per query (an InitPlan), not per row."""
    return Greatest(
        *(
            Subquery(model.objects.order_by("-updated_at").values("updated_at")[:1])
            for model in (Course, Room, Site)
        ),
        output_field=DateTimeField(),
    )


# Compiled validator aggregates by (token, day), least recently used first.
_COMPILED_FACTS: dict[tuple[str, dt.datetime], tuple[str, tuple[Any, ...]]] = {}
COMPILED_FACTS_KEPT = 4096
# Their prepared statements, by SQL text (one per kind of feed).
_FACTS_STATEMENTS: dict[str, PreparedStatement] = {}


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: dt.datetime | None


@dataclass(frozen=True)
class Feed:
    """One owner's feed: its blocks (a filtered queryset), the owner's columns to read with
    each (the assignment or registration the UID names) and how a row becomes an event.
    `aggregates` adds what else the validators must see (a registration's state). `name`
    gives the calendar's name from the rows (a room's name is in every row), so the token is
    looked up without joining its owner."""

    name: Callable[[list[dict[str, Any]]], str]
    salt: str
    day: dt.datetime  # feed_day(now): what the feed holds depends on the day, not the hour
    blocks: QuerySet[SessionBlock]
    event: Callable[[dict[str, Any]], FeedEvent]
    columns: Mapping[str, Any] = field(default_factory=dict)
    aggregates: Mapping[str, Aggregate] = field(default_factory=dict)

    @property
    def rows(self) -> QuerySet[SessionBlock, dict[str, Any]]:
        """One dict per block (and owner's row), in time order: no model instances."""
        rows: QuerySet[SessionBlock, dict[str, Any]] = (
            self.blocks.annotate(**self.columns)
            .order_by("starts_at", "id", *self.columns)
            .values(*BLOCK_FIELDS, *self.columns)
        )
        return rows

    def validators(self) -> Validators:
        """ETag and Last-Modified from one aggregate over the same rows: they change whenever
        a row comes, goes or changes (its block, session, course, room or site). For the
        learner's feed; the schedule feeds have change marks (`schedule_validators`)."""
        facts = self._facts()
        seed = "|".join(
            [FORMAT_VERSION, self.salt, *(f"{key}={facts[key]!r}" for key in sorted(facts))]
        )
        moments = [value for value in facts.values() if isinstance(value, dt.datetime)]
        return Validators(
            etag='"' + hashlib.sha256(seed.encode()).hexdigest()[:40] + '"',
            # The window moves at midnight (UTC): a block may drop out then with no row
            # changing, so Last-Modified is never before today's midnight. The ETag needs no
            # such help: a block dropping out changes the count.
            last_modified=max([*moments, self.day]),
        )

    def _facts(self) -> dict[str, Any]:
        """The validators' aggregate. Its SQL depends only on the token and the day, so it is
        compiled once per (token, day) and kept (bounded): building and compiling it through the
        ORM took longer than PostgreSQL takes to run it, and a 304 is little else."""
        key = (self.salt, self.day)
        compiled = _COMPILED_FACTS.pop(key, None)
        if compiled is None:
            query = self.blocks.order_by().query.chain()
            query.default_cols = False
            for alias, aggregate in self._aggregates().items():
                query.add_annotation(aggregate, alias, select=True)
            compiled = query.get_compiler(using=self.blocks.db).as_sql()
        _COMPILED_FACTS[key] = compiled  # most recently used last
        while len(_COMPILED_FACTS) > COMPILED_FACTS_KEPT:
            _COMPILED_FACTS.pop(next(iter(_COMPILED_FACTS)))
        sql, params = compiled
        # The text is the same for every token of a kind (owner and day are parameters), so a
        # connection prepares one statement per kind and plans it once.
        statement = _FACTS_STATEMENTS.get(sql)
        if statement is None:
            name = "feed_facts_" + hashlib.sha256(sql.encode()).hexdigest()[:16]
            statement = _FACTS_STATEMENTS.setdefault(sql, PreparedStatement(name, sql))
        with connections[self.blocks.db].cursor() as cursor:
            statement.execute(cursor, params)
            names = [column.name for column in cursor.description]
            return dict(zip(names, cursor.fetchone(), strict=True))

    def _aggregates(self) -> dict[str, Aggregate]:
        return {
            "count": Count("id"),
            "ids": Sum("id"),
            "versions": Sum("session__schedule_version"),
            "blocks": Max("updated_at"),
            "sessions": Max("session__updated_at"),
            # Courses, rooms and sites are few and rarely change: the newest change of any of
            # them (a subquery each) instead of joining them to every row. A renamed room
            # elsewhere costs each client one full fetch, no more.
            "catalogue": Max(catalogue_changed()),
            **self.aggregates,
        }

    def text(self) -> str:
        rows = list(self.rows)
        return calendar_text([self.event(row) for row in rows], name=self.name(rows))


def schedule_validators(lookup: FeedLookup, *, now: dt.datetime) -> Validators:
    """An instructor's, room's or site's feed's validators, from the change marks read with the
    token (`feed_lookup`: no query of their own). A feed is a function of the day and the rows;
    the marks change whenever a row the feed reads changes (the triggers), and the day is part
    of the ETag: what drops out of the window at midnight (90 days back, cancelled 30 days ago)
    changes it without a row changing, at the price of one full fetch a day per subscriber.
    Last-Modified is the newest mark, never before today's midnight, for the same reason."""
    if lookup.etag is None:
        raise ValueError("this token's feed has no change marks")
    day = feed_day(now)
    return Validators(
        etag=lookup.etag,
        last_modified=max(lookup.changed_at, day) if lookup.changed_at else day,
    )


def feed_day(now: dt.datetime) -> dt.datetime:
    """The start (UTC) of the day `now` falls in: the window moves a day at a time, so a feed
    is a function of the day and the rows, and a 304 is right whatever the hour."""
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def cancelled_cutoff(now: dt.datetime) -> dt.datetime:
    """Things cancelled before this instant have dropped out: kept 30 days, to the end of the
    (UTC) day the 30th falls on."""
    return feed_day(now) - CANCELLED_KEPT


def in_window(now: dt.datetime) -> Q:
    """Blocks a feed shows at `now` (on SessionBlock): ended at most 90 days before today
    (UTC), and, if the block or its session is cancelled, cancelled at most 30 days before."""
    cutoff = cancelled_cutoff(now)
    return (
        Q(ends_at__gte=feed_day(now) - WINDOW_BACK)
        & (Q(status=BlockStatus.ACTIVE) | Q(updated_at__gte=cutoff))
        & (~Q(session__status=SessionStatus.CANCELLED) | Q(session__updated_at__gte=cutoff))
    )


def session_link() -> Callable[[int], str]:
    """The session page's absolute URL for a session id, reversing the route once per feed,
    on first use (a 304 never needs it)."""
    parts: list[str] = []

    def link(pk: int) -> str:
        if not parts:
            url = absolute_link("scheduling:session-detail", _SENTINEL)
            head, _sep, tail = url.partition(str(_SENTINEL))
            parts[:] = [head, tail]
        return f"{parts[0]}{pk}{parts[1]}"

    return link


def schedule_status(row: dict[str, Any]) -> str:
    """CANCELLED for a cancelled block or session, TENTATIVE for a draft, else CONFIRMED."""
    if row["status"] != BlockStatus.ACTIVE or row["session__status"] == SessionStatus.CANCELLED:
        return EventStatus.CANCELLED
    if row["session__status"] == SessionStatus.DRAFT:
        return EventStatus.TENTATIVE
    return EventStatus.CONFIRMED


def place(row: dict[str, Any]) -> str:
    """Room, site and address, as the invites write them."""
    parts = (row["room__name"], row["room__site__name"], row["room__site__address"])
    return ", ".join(part for part in parts if part)


def is_virtual(row: dict[str, Any]) -> bool:
    return bool(row["session__delivery_mode"] == DeliveryMode.VILT)


def summary(row: dict[str, Any]) -> str:
    return f"{row['session__course__code']} {row['session__course__title']}"


def block_event(
    row: dict[str, Any],
    *,
    owner: str,
    link: Callable[[int], str],
    status: str,
    location: str,
    last_modified: dt.datetime,
    note: str = "",
) -> FeedEvent:
    url = link(row["session_id"])
    return FeedEvent(
        uid=block_uid(row["id"], owner),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        time_zone=row["session__time_zone"],
        summary=summary(row),
        sequence=row["session__schedule_version"],
        last_modified=last_modified,
        status=status,
        location=location,
        description=f"{note}\n{url}" if note else url,
        url=url,
    )


def instructor_feed(token: FeedToken, *, now: dt.datetime) -> Feed:
    """What the instructor teaches: every block of the sessions they are assigned to, drafts
    as TENTATIVE, with the join link of VILT sessions. A removed assignment's events go."""
    if token.instructor_id is None:
        raise ValueError("this token has no such owner")
    blocks = SessionBlock.objects.filter(
        in_window(now), session__assignments__instructor_id=token.instructor_id
    )
    link = session_link()

    def event(row: dict[str, Any]) -> FeedEvent:
        return block_event(
            row,
            owner=assignment_owner(row["assignment_id"]),
            link=link,
            status=schedule_status(row),
            location=row["session__join_url"] if is_virtual(row) else place(row),
            last_modified=max(
                row["updated_at"], row["session__updated_at"], row["assignment_updated_at"]
            ),
        )

    return Feed(
        name=lambda rows: _("My teaching"),
        salt=f"{token.pk}",
        day=feed_day(now),
        blocks=blocks,
        event=event,
        columns={
            "assignment_id": F("session__assignments__id"),
            "assignment_updated_at": F("session__assignments__updated_at"),
        },
    )


def _resource_feed(
    token: FeedToken,
    blocks: QuerySet[SessionBlock],
    *,
    owner: str,
    name: Callable[[list[dict[str, Any]]], str],
    now: dt.datetime,
) -> Feed:
    link = session_link()

    def event(row: dict[str, Any]) -> FeedEvent:
        return block_event(
            row,
            owner=owner,
            link=link,
            status=schedule_status(row),
            location=place(row),
            last_modified=max(row["updated_at"], row["session__updated_at"]),
        )

    return Feed(
        name=name,
        salt=f"{token.pk}",
        day=feed_day(now),
        blocks=blocks,
        event=event,
    )


def room_feed(token: FeedToken, *, now: dt.datetime) -> Feed:
    """The room's bookings: course and session, never who attends."""
    if token.room_id is None:
        raise ValueError("this token has no such owner")

    def name(rows: list[dict[str, Any]]) -> str:
        if not rows:
            return _("Room bookings")
        return _("Room %(room)s, %(site)s") % {
            "room": rows[0]["room__name"],
            "site": rows[0]["room__site__name"],
        }

    return _resource_feed(
        token,
        SessionBlock.objects.filter(in_window(now), room_id=token.room_id),
        owner=f"room{token.room_id}",
        name=name,
        now=now,
    )


def site_feed(token: FeedToken, *, now: dt.datetime) -> Feed:
    """The bookings of every room of the site."""
    if token.site_id is None:
        raise ValueError("this token has no such owner")

    def name(rows: list[dict[str, Any]]) -> str:
        return _("Site %s") % rows[0]["room__site__name"] if rows else _("Site bookings")

    return _resource_feed(
        token,
        SessionBlock.objects.filter(in_window(now), room__site_id=token.site_id),
        owner=f"site{token.site_id}",
        name=name,
        now=now,
    )


SCHEDULE_FEEDS: dict[str, Callable[..., Feed]] = {
    FeedKind.INSTRUCTOR: instructor_feed,
    FeedKind.ROOM: room_feed,
    FeedKind.SITE: site_feed,
}
