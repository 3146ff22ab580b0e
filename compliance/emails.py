"""What compliance's outbox rows become at send time (registered in `ComplianceConfig.ready`).

An expiry reminder is rendered in the holder's zone (their settings, else the zone of the
session that earned the certificate), named. A reminder for a certificate that is no longer the
holder's current one (recertified, or revoked) is not sent: `Superseded`."""

from __future__ import annotations

import zoneinfo

from django.utils.translation import gettext as _

from compliance.models import LearnerCertification
from notifications.models import OutboxMessage
from notifications.registry import Rendered, Superseded, register
from tms.links import absolute_link
from tms.timezones import reader_zone


def build_certification_expiring(message: OutboxMessage) -> Rendered:
    certificate = LearnerCertification.objects.select_related(
        "learner__profile", "certification", "completion__registration__session"
    ).get(pk=message.context["learner_certification_id"])
    if not certificate.current or certificate.expires_at is None:
        raise Superseded(_("The certificate was renewed or revoked meanwhile."))
    session = certificate.completion.registration.session
    zone = reader_zone(certificate.learner, session.time_zone)
    expires = certificate.expires_at.astimezone(zoneinfo.ZoneInfo(zone))
    subject = _("Your certification %(code)s expires on %(day)s") % {
        "code": certificate.certification.code,
        "day": expires.strftime("%d %b %Y"),
    }
    context = {
        "certificate": certificate,
        "certification": certificate.certification,
        "expires": expires,
        "days": message.context["days"],
        "courses": list(certificate.certification.courses.filter(active=True)),
        "certificates_link": absolute_link("compliance:my-certificates"),
    }
    return Rendered(subject=subject, context=context, time_zone=zone)


def register_builders() -> None:
    register("certification_expiring", build_certification_expiring)
