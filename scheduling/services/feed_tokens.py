"""Calendar subscription tokens: issue (which revokes the owner's previous one), revoke, look up,
and the log of fetches.

Who may hold which feed, in one place (`may_manage_feed`): a user their own learner feed, an
instructor their own instructor feed, coordinators any feed, room and site feeds included.
Tokens are `secrets.token_urlsafe(32)` (256 bits); only their SHA-256 is stored, so the URL is
shown once, when the token is issued, and found again by hashing what a client sends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from instructors.models import Instructor
from scheduling.models import FEED_CATALOGUE, FeedChange, FeedFetch, FeedKind, FeedToken
from tms.db import PreparedStatement
from tms.exceptions import DomainError
from tms.roles import Role, roles_of
from venues.models import Room, Site

USER_AGENT_LENGTH = 300


class FeedNotAllowed(DomainError):
    status_code = HTTPStatus.FORBIDDEN
    code = "feed_not_allowed"


class FeedOwnerMissing(DomainError):
    status_code = HTTPStatus.NOT_FOUND
    code = "feed_owner_missing"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def may_manage_feed(user: Any, *, kind: str, owner_id: int) -> bool:
    """Whether `user` may issue, see and revoke the `kind` feed of owner `owner_id` (a user id
    for learner feeds, an instructor, room or site id for the others)."""
    if not user.is_authenticated:
        return False
    roles = roles_of(user)
    if Role.COORDINATOR in roles:
        return True
    if kind == FeedKind.LEARNER:
        return Role.LEARNER in roles and owner_id == user.pk
    if kind == FeedKind.INSTRUCTOR:
        return (
            Role.INSTRUCTOR in roles
            and Instructor.objects.filter(pk=owner_id, user_id=user.pk).exists()
        )
    return False


def _owner_fields(kind: str, owner_id: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    models: dict[str, Any] = {
        FeedKind.INSTRUCTOR: Instructor,
        FeedKind.LEARNER: get_user_model(),
        FeedKind.ROOM: Room,
        FeedKind.SITE: Site,
    }
    if kind not in models:
        raise DomainError(_("Unknown kind of calendar feed."), fields={"kind": [_("Unknown.")]})
    owner = models[kind].objects.filter(pk=owner_id).first()
    if owner is None:
        raise FeedOwnerMissing(_("There is nothing with this id to subscribe to."))
    return {kind: owner}


def feed_token_issue(
    *, actor: Any, kind: str, owner_id: int, now: dt.datetime
) -> tuple[FeedToken, str]:
    """A new token for the owner's feed, revoking the owner's active ones (so "regenerate" is
    issuing again). Returns the token row and the raw token, which is not stored anywhere.

    Refused (403) unless `may_manage_feed`. Locks nothing: two issues at once leave two active
    tokens, both the owner's, either revocable."""
    if kind not in FeedKind.values:
        raise DomainError(_("Unknown kind of calendar feed."), fields={"kind": [_("Unknown.")]})
    if not may_manage_feed(actor, kind=kind, owner_id=owner_id):
        raise FeedNotAllowed(_("You may not subscribe to this calendar."))
    owner = _owner_fields(kind, owner_id)
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        FeedToken.objects.filter(kind=kind, revoked_at__isnull=True, **owner).update(
            revoked_at=now, revoked_by=actor, updated_at=now
        )
        token = FeedToken.objects.create(
            kind=kind, token_hash=hash_token(raw), hint=raw[:6], created_by=actor, **owner
        )
    return token, raw


def feed_token_revoke(*, actor: Any, token_id: int, now: dt.datetime) -> FeedToken:
    """Revoke a token: its URL answers 404 from now on. Revoking a revoked token changes
    nothing. Refused (403) unless the actor may manage that owner's feed."""
    token = FeedToken.objects.filter(pk=token_id).first()
    if token is None or not may_manage_feed(actor, kind=token.kind, owner_id=token.owner_id):
        raise FeedOwnerMissing(_("No such calendar subscription."))
    if token.revoked_at is None:
        token.revoked_at = now
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    return token


def feed_token_find(raw: str) -> FeedToken | None:
    """The active token a feed URL carries (its owner's id, not the owner: the feeds need no
    more), in one query on the unique hash; None if unknown or revoked."""
    return FeedToken.objects.filter(token_hash=hash_token(raw), revoked_at__isnull=True).first()


@dataclass(frozen=True)
class FeedFetchFacts:
    """What a fetch tells about itself, for the log: when, from where, with which client, and
    the ETags of the client's copy (If-None-Match, W/ dropped)."""

    now: dt.datetime
    client_ip: str | None
    user_agent: str
    etags: list[str]


@dataclass(frozen=True)
class FeedLookup:
    """An active token, found by the hash of what a feed URL carries, with its feed's change
    marks (scheduling.FeedChange): `etag` their hash (None for a learner's feed, which has no
    marks), `changed_at` the newest of them (None if none); and the fetch as already logged:
    the row's id and the status it predicted (None when not logged yet)."""

    token: FeedToken
    etag: str | None
    changed_at: dt.datetime | None
    fetch_id: int | None
    logged_status: int | None


_TOKEN_COLUMNS = [field.column for field in FeedToken._meta.concrete_fields]
_TOKEN_FIELDS = [field.attname for field in FeedToken._meta.concrete_fields]
# One round trip for a conditional fetch of a schedule feed: the token; the ETag of its feed,
# a hash of the ids of the owner's and the catalogue's change marks (two probes of their index)
# with the day (this seed is the one place the schedule feeds' ETag is made); and, when the
# client's copy carries that ETag (If-None-Match), the fetch log's row as a 304 (the view
# corrects it in the odd case it answers otherwise: If-Match...). Any other fetch is logged by
# the view once it knows its answer (a full feed is built, or a learner's validators read).
_LOOKUP = PreparedStatement(
    "feed_token_lookup",
    f"""
    WITH found AS (
        SELECT {", ".join(f"t.{column}" for column in _TOKEN_COLUMNS)}, m.changed_at,
               CASE WHEN t.kind <> %(learner)s::text THEN
                   '"' || left(encode(sha256(convert_to(concat_ws('|',
                       %(format)s::text, 'marks', t.kind, t.id::text, coalesce(m.marks, ''),
                       %(day)s::text), 'UTF8')), 'hex'), 40) || '"'
               END AS etag
          FROM {FeedToken._meta.db_table} t
          LEFT JOIN LATERAL (
               SELECT string_agg(c.id::text, ',' ORDER BY c.id) AS marks,
                      max(c.changed_at) AS changed_at
                 FROM {FeedChange._meta.db_table} c
                WHERE (c.kind = %(catalogue)s::text AND c.owner_id = 0)
                   OR (c.kind = t.kind
                       AND c.owner_id = COALESCE(t.instructor_id, t.room_id, t.site_id))
               ) m ON true
         WHERE t.token_hash = %(hash)s AND t.revoked_at IS NULL
    ), logged AS (
        INSERT INTO {FeedFetch._meta.db_table}
               (token_id, fetched_at, client_ip, user_agent, status_code)
        SELECT found.id, %(now)s::timestamptz, %(client_ip)s::inet, %(user_agent)s::text, 304
          FROM found
         WHERE found.etag = ANY (%(etags)s::text[])
        RETURNING id, status_code
    )
    SELECT found.*, logged.id, logged.status_code FROM found LEFT JOIN logged ON true
    """,  # noqa: S608 (table and column names come from the models, values are parameters)
)
_RECORD = PreparedStatement(
    "feed_fetch_record",
    f"""
    INSERT INTO {FeedFetch._meta.db_table}
           (token_id, fetched_at, client_ip, user_agent, status_code)
    VALUES (%(token)s, %(now)s, %(client_ip)s::inet, %(user_agent)s, %(status_code)s)
    """,  # noqa: S608 (the table name comes from the model, values are parameters)
)


def feed_lookup(raw: str, *, fetch: FeedFetchFacts) -> FeedLookup | None:
    """The active token a feed URL carries, with its schedule feed's ETag and, when the
    client's copy is that one, the fetch logged as a 304, in one prepared statement; None
    (nothing logged) if the token is unknown or revoked. Settle the log with
    `feed_fetch_record` once the answer is known."""
    from scheduling.calendar.feeds import FORMAT_VERSION, feed_day

    with connection.cursor() as cursor:
        _LOOKUP.execute(
            cursor,
            {
                "learner": FeedKind.LEARNER,
                "format": FORMAT_VERSION,
                "day": f"{feed_day(fetch.now):%F}",
                "catalogue": FEED_CATALOGUE,
                "hash": hash_token(raw),
                "now": fetch.now,
                "client_ip": fetch.client_ip,
                "user_agent": fetch.user_agent[:USER_AGENT_LENGTH],
                "etags": fetch.etags,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    *values, changed_at, etag, fetch_id, logged_status = row
    token = FeedToken.from_db(connection.alias, _TOKEN_FIELDS, values)
    return FeedLookup(
        token=token,
        etag=etag,
        changed_at=changed_at,
        fetch_id=fetch_id,
        logged_status=logged_status,
    )


def feed_fetch_record(*, lookup: FeedLookup, fetch: FeedFetchFacts, status_code: int) -> None:
    """Log one fetch of a feed (for the audit log) with the status it was answered: nothing
    more to do when `feed_lookup` logged it as answered (a schedule feed's 304), else one
    statement (a prepared INSERT, or correcting the predicted status)."""
    if lookup.logged_status == status_code:
        return
    if lookup.fetch_id is not None:
        FeedFetch.objects.filter(pk=lookup.fetch_id).update(status_code=status_code)
        return
    with connection.cursor() as cursor:
        _RECORD.execute(
            cursor,
            {
                "token": lookup.token.pk,
                "now": fetch.now,
                "client_ip": fetch.client_ip,
                "user_agent": fetch.user_agent[:USER_AGENT_LENGTH],
                "status_code": status_code,
            },
        )


# --- Reads for the pages -----------------------------------------------------------------------


def feed_tokens_visible_to(user: Any) -> QuerySet[FeedToken]:
    """Active tokens `user` may see: all of them for coordinators (who may revoke any) and
    auditors (who may revoke none), else the user's own learner and instructor feeds. Each
    with `last_fetched_at`. Only hints: a token's URL is never shown again."""
    tokens = FeedToken.objects.filter(revoked_at__isnull=True).select_related(
        "instructor__user", "learner", "room__site", "site"
    )
    if not {Role.COORDINATOR, Role.AUDITOR} & roles_of(user):
        tokens = tokens.filter(Q(learner_id=user.pk) | Q(instructor__user_id=user.pk))
    return tokens.annotate(last_fetched_at=Max("fetches__fetched_at")).order_by("kind", "-pk")


# Session key: the URLs of a feed just issued from a calendar page, for that page to show once
# (only the token's hash is kept, so the URL cannot be shown again later).
FRESH_FEED_KEY = "calendar_feed_fresh"


def feed_subscription(*, kind: str, owner_id: int) -> dict[str, Any]:
    """What templates/scheduling/calendar/_subscribe.html needs for one owner's feed: the kind,
    the owner and the active token (None when there is none), in one query."""
    owner_column = {
        FeedKind.INSTRUCTOR: "instructor_id",
        FeedKind.LEARNER: "learner_id",
        FeedKind.ROOM: "room_id",
        FeedKind.SITE: "site_id",
    }[FeedKind(kind)]
    token = (
        FeedToken.objects.filter(kind=kind, revoked_at__isnull=True, **{owner_column: owner_id})
        .order_by("-pk")
        .first()
    )
    return {"kind": kind, "owner_id": owner_id, "token": token}
