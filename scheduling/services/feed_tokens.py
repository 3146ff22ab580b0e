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
class FeedLookup:
    """An active token, found by the hash of what a feed URL carries, with its owner's change
    marks (scheduling.FeedChange): `marks` the ids of the owner's and the catalogue's marks,
    comma-separated in id order, `changed_at` the newest of them (None if none)."""

    token: FeedToken
    marks: str
    changed_at: dt.datetime | None


_TOKEN_COLUMNS = [field.column for field in FeedToken._meta.concrete_fields]
_TOKEN_FIELDS = [field.attname for field in FeedToken._meta.concrete_fields]
# One round trip for the token and the marks its feed's validators hash (two probes of the
# marks' index: the owner's and the catalogue's). The marks are read for a learner's token too
# (the catalogue's only, as nothing marks learners): the learner feed does not use them.
_LOOKUP = PreparedStatement(
    "feed_token_lookup",
    f"""
    SELECT {", ".join(f"t.{column}" for column in _TOKEN_COLUMNS)}, m.marks, m.changed_at
      FROM {FeedToken._meta.db_table} t
      LEFT JOIN LATERAL (
           SELECT string_agg(c.id::text, ',' ORDER BY c.id) AS marks,
                  max(c.changed_at) AS changed_at
             FROM {FeedChange._meta.db_table} c
            WHERE (c.kind = %(catalogue)s AND c.owner_id = 0)
               OR (c.kind = t.kind
                   AND c.owner_id = COALESCE(t.instructor_id, t.room_id, t.site_id))
           ) m ON true
     WHERE t.token_hash = %(hash)s AND t.revoked_at IS NULL
    """,
)
_RECORD = PreparedStatement(
    "feed_fetch_record",
    f"""
    INSERT INTO {FeedFetch._meta.db_table}
           (token_id, fetched_at, client_ip, user_agent, status_code)
    VALUES (%(token)s, %(now)s, %(client_ip)s, %(user_agent)s, %(status_code)s)
    """,
)


def feed_lookup(raw: str) -> FeedLookup | None:
    """The active token a feed URL carries and its feed's change marks, in one prepared
    statement; None if the token is unknown or revoked."""
    with connection.cursor() as cursor:
        _LOOKUP.execute(cursor, {"catalogue": FEED_CATALOGUE, "hash": hash_token(raw)})
        row = cursor.fetchone()
    if row is None:
        return None
    *values, marks, changed_at = row
    token = FeedToken.from_db(connection.alias, _TOKEN_FIELDS, values)
    return FeedLookup(token=token, marks=marks or "", changed_at=changed_at)


def feed_fetch_record(
    *,
    token: FeedToken,
    now: dt.datetime,
    client_ip: str | None,
    user_agent: str,
    status_code: int,
) -> None:
    """Log one fetch of a feed (for the audit log): one INSERT (a prepared statement: every
    fetch, 304s included, pays for it)."""
    with connection.cursor() as cursor:
        _RECORD.execute(
            cursor,
            {
                "token": token.pk,
                "now": now,
                "client_ip": client_ip,
                "user_agent": user_agent[:USER_AGENT_LENGTH],
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
