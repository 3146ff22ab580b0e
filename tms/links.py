"""Absolute links for what leaves the app (emails, invites, feeds): SITE_URL + a route."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse


def absolute_link(name: str, *args: Any) -> str:
    """The absolute URL of route `name`; the site's root when the route is not installed."""
    try:
        return str(settings.SITE_URL) + reverse(name, args=args)
    except NoReverseMatch:
        return str(settings.SITE_URL)
