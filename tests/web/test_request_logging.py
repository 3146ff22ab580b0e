"""A refused request is one warning line in the log, never a traceback: a 403 is the policy
working, not an error to debug."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def request_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "django.request"]


def test_a_refused_page_logs_one_line_without_a_traceback(page_client, learner, caplog):
    caplog.set_level(logging.INFO, logger="django.request")
    url = reverse("scheduling:session-create")

    response = page_client(learner).get(url)

    assert response.status_code == 403
    [record] = request_log(caplog)
    assert (record.levelno, record.getMessage()) == (
        logging.WARNING,
        f"Forbidden (Permission denied): {url}",
    )
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_a_refused_api_call_logs_one_line_without_a_traceback(learner, caplog):
    caplog.set_level(logging.INFO, logger="django.request")
    api = APIClient()
    api.force_authenticate(learner)
    url = reverse("api:venues:site-list")

    response = api.post(url, {"name": "HQ", "time_zone": "UTC"}, format="json")

    assert response.status_code == 403
    [record] = request_log(caplog)
    assert (record.levelno, record.getMessage()) == (logging.WARNING, f"Forbidden: {url}")
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_a_server_error_still_logs_its_traceback(page_client, coordinator, caplog, monkeypatch):
    from tms import home

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(home, "render", broken)
    client = page_client(coordinator)
    client.raise_request_exception = False

    response = client.get(reverse("home"))

    assert response.status_code == 500
    [record] = request_log(caplog)
    assert record.exc_info is not None
    assert "RuntimeError: boom" in caplog.text
