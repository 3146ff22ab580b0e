"""`{% feed_subscribe "instructor" instructor.pk label %}`: the subscribe block of one owner's
calendar feed, for the calendar pages (templates/scheduling/calendar/_subscribe.html).

Only a hash of a feed's token is kept, so its URL can be shown once: issuing from a calendar
page posts with `next` back to that page, and the subscriptions page's issue view leaves the new
URL in the session (`FRESH_FEED_KEY`) for the next page to show once, as https and webcal://
links."""

from __future__ import annotations

from typing import Any

from django import template

from scheduling.services.feed_tokens import FRESH_FEED_KEY, feed_subscription

register = template.Library()


@register.inclusion_tag("scheduling/calendar/_subscribe.html", takes_context=True)
def feed_subscribe(context: Any, kind: str, owner_id: int, label: str = "") -> dict[str, Any]:
    request = context["request"]
    fresh = request.session.get(FRESH_FEED_KEY)
    if fresh and (fresh.get("kind"), fresh.get("owner_id")) == (kind, owner_id):
        del request.session[FRESH_FEED_KEY]
    else:
        fresh = None
    return {
        "feed": feed_subscription(kind=kind, owner_id=owner_id),
        "label": label,
        "fresh": fresh,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
