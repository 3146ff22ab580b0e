"""The public calendar feed URL, /feeds/<token>.ics (no sign-in: the token is the key).

The feed view lives here, above scheduling, because it dispatches by the token's kind to the
learner feed (attendance) and to the schedule feeds (scheduling) alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_etags
from django.views.decorators.http import require_safe

from attendance.calendar_feed import learner_feed
from scheduling.calendar.feeds import SCHEDULE_FEEDS, Feed, Validators, schedule_validators
from scheduling.models import FeedKind
from scheduling.services.feed_tokens import (
    FeedFetchFacts,
    FeedLookup,
    feed_fetch_record,
    feed_lookup,
)
from tms.client_address import client_ip

FEEDS: dict[str, Callable[..., Feed]] = {**SCHEDULE_FEEDS, FeedKind.LEARNER: learner_feed}


def learner_validators(lookup: FeedLookup, *, now: dt.datetime) -> Validators:
    return learner_feed(lookup.token, now=now).validators()


# The schedule feeds' validators come from the change marks read with the token; the learner
# feed's from an aggregate over its (few) rows: see scheduling/calendar/feeds.py.
VALIDATORS: dict[str, Callable[..., Validators]] = {
    **dict.fromkeys(SCHEDULE_FEEDS, schedule_validators),
    FeedKind.LEARNER: learner_validators,
}
CONTENT_TYPE = "text/calendar; charset=utf-8"
# Clients poll every few minutes; a conditional request of a schedule feed costs one small
# query (the token, its change marks and the log). "private": the URL is a secret, so no
# shared cache keeps a copy.
CACHE_CONTROL = "private, max-age=300"


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed a token opens (404 for an unknown or revoked one), answered 304 when the
    client's copy (If-None-Match / If-Modified-Since) is current. Every answer is logged."""
    now = timezone.now()
    fetch = FeedFetchFacts(
        now=now,
        client_ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        etags=[
            tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))
        ],
    )
    found = feed_lookup(token, fetch=fetch)
    if found is None:
        raise Http404
    kind = found.token.kind
    validators = VALIDATORS[kind](found, now=now)
    last_modified = int(validators.last_modified.timestamp()) if validators.last_modified else None
    response = get_conditional_response(request, etag=validators.etag, last_modified=last_modified)
    if response is None:
        # The rows are read after the marks: a change committed in between costs the client
        # one more full fetch, never a stale copy kept as current.
        feed = FEEDS[kind](found.token, now=now)
        response = HttpResponse(feed.text().encode(), content_type=CONTENT_TYPE)
    response["ETag"] = validators.etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Robots-Tag"] = "noindex"
    feed_fetch_record(lookup=found, fetch=fetch, status_code=response.status_code)
    return response
