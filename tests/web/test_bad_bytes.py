"""Bytes that are not UTF-8 in a page's form or query string (%ED%A0%80 would be a lone
surrogate) arrive as U+FFFD: a form error or a filtered page, never a 500, nothing written.

Unlike the API's JSON (tms/api_json.py), form and query encodings cannot carry a surrogate at
all: Django decodes them with replacement characters.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attendance.models import Registration
from scheduling.models import Session

pytestmark = pytest.mark.django_db

BAD = "%ED%A0%80"
FORM = "application/x-www-form-urlencoded"


def test_a_bad_email_when_enrolling_is_an_error_message(page_client, coordinator, booked):
    client = page_client(coordinator)

    response = client.post(
        reverse("attendance:registration-enrol", args=[booked.pk]),
        f"email={BAD}%40example.org",
        content_type=FORM,
        follow=True,
    )

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not Registration.objects.exists()


def test_a_bad_list_when_bulk_enrolling_is_a_form_error(page_client, coordinator, booked):
    client = page_client(coordinator)
    url = reverse("attendance:registration-bulk-enrol", args=[booked.pk])

    upload = client.post(url, {"file": SimpleUploadedFile("a.csv", b"\xed\xa0\x80@example.org")})

    assert upload.status_code == 400
    assert "The file must be plain text (UTF-8)." in upload.content.decode()
    assert not Registration.objects.exists()


def test_a_bad_zone_in_the_session_form_is_a_form_error(page_client, coordinator, form_data):
    body = urlencode(form_data()).replace("time_zone=Europe%2FParis", f"time_zone={BAD}")

    response = page_client(coordinator).post(
        reverse("scheduling:session-create"), body, content_type=FORM
    )

    assert response.status_code == 400
    assert not Session.objects.exists()


@pytest.mark.parametrize("query", [f"status={BAD}", f"delivery_mode={BAD}", f"date_from={BAD}"])
def test_bad_bytes_in_a_filter_are_a_form_error(page_client, coordinator, booked, query):
    response = page_client(coordinator).get(f"{reverse('scheduling:session-list')}?{query}")

    assert response.status_code == 200
    assert "\ufffd" in response.content.decode()
