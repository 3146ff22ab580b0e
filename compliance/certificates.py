"""The PDF certificate: a Django template (templates/compliance/certificate.html) printed by
WeasyPrint. Dates are in the holder's zone (their settings, else the session's), named."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from compliance.models import LearnerCertification
from tms.timezones import local_label, reader_zone


def certificate_context(certificate: LearnerCertification) -> dict[str, Any]:
    session = certificate.completion.registration.session
    learner = certificate.learner
    zone = reader_zone(learner, session.time_zone)
    local = zoneinfo.ZoneInfo(zone)
    issued = certificate.issued_at.astimezone(local)
    expires = certificate.expires_at.astimezone(local) if certificate.expires_at else None
    return {
        "certificate": certificate,
        "learner_name": learner.get_full_name() or learner.get_username(),
        "certification": certificate.certification,
        "course": session.course,
        "session": session,
        "issued": issued,
        "issued_zone": local_label(issued),
        "expires": expires,
        "expires_zone": local_label(expires) if expires else "",
        "zone": zone,
        "site_url": settings.SITE_URL,
    }


def certificate_pdf(certificate: LearnerCertification) -> bytes:
    """The certificate as PDF bytes."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # loads pango: late

    context = certificate_context(certificate)
    with timezone.override(context["zone"]):
        html = render_to_string("compliance/certificate.html", context)
    pdf: bytes = HTML(string=html, base_url=settings.SITE_URL).write_pdf()
    return pdf


def certificate_filename(certificate: LearnerCertification) -> str:
    return f"certificate-{certificate.number}.pdf"
