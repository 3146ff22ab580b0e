import functools
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@functools.cache
def known_time_zones() -> frozenset[str]:
    """Reading the tz database is slow (milliseconds): do it once per process."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Accept IANA zone names only (Europe/Paris), not abbreviations or offsets."""
    if not isinstance(value, str) or not value or value != value.strip():
        raise ValidationError(_("Enter an IANA time zone such as Europe/Paris."), code="time_zone")
    if value not in known_time_zones():
        raise ValidationError(
            _("%(value)s is not a known IANA time zone."), code="time_zone", params={"value": value}
        )
