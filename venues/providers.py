"""Virtual-classroom providers behind one small interface.

A provider turns a host account into a join link for a new meeting. API providers
(BigBlueButton, Zoom, Teams) can be added by registering another `MeetingProvider`.
"""

from __future__ import annotations

import secrets
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from venues.models import HostAccount, VirtualClassroomProvider


class MeetingProvider(Protocol):
    def meeting_url(self, account: HostAccount, *, manual_url: str = "") -> str:
        """Return the join URL for a new meeting hosted by `account`."""
        ...


class RoomLinkProvider:
    """Jitsi-style: a room name on a base URL is the meeting; no API call needed."""

    def meeting_url(self, account: HostAccount, *, manual_url: str = "") -> str:
        base = (account.base_url or settings.VIRTUAL_CLASSROOM_BASE_URL).rstrip("/")
        # Unguessable room name: knowing one session's link does not reveal another's.
        return f"{base}/tms-{secrets.token_urlsafe(12)}"


class ManualLinkProvider:
    """The coordinator pastes the link created in the provider's own tool."""

    def meeting_url(self, account: HostAccount, *, manual_url: str = "") -> str:
        if not manual_url:
            raise ValueError(_("Host account %s needs a join link entered by hand.") % account)
        try:
            URLValidator(schemes=["https"])(manual_url)
        except ValidationError:
            raise ValueError(_("Enter an https:// join link.")) from None
        return manual_url


PROVIDERS: dict[str, MeetingProvider] = {
    VirtualClassroomProvider.URL: RoomLinkProvider(),
    VirtualClassroomProvider.MANUAL: ManualLinkProvider(),
}


def meeting_url_for(account: HostAccount, *, manual_url: str = "") -> str:
    return PROVIDERS[account.provider].meeting_url(account, manual_url=manual_url)
