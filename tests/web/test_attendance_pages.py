"""The attendance page: who sees and marks it, htmx rows (saved, refused with the user's
choice kept), "All present", sign-off with the unmarked named, late edits with a reason, and
the page's query count, constant in the number of learners."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attendance.models import AttendanceRecord, AttendanceSignOff, Completion
from attendance.services.registration import registration_create
from tests import factories
from tests.conftest import NOW, at
from tests.web.conftest import inline_code_in

pytestmark = pytest.mark.django_db

AFTER = at("2030-03-04", "13:00")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def taught(booked: Any) -> dict[str, Any]:
    ada = factories.UserFactory(username="ada", first_name="Ada", last_name="Byron", role="Learner")
    bob = factories.UserFactory(username="bob", first_name="Bob", last_name="Stone", role="Learner")
    return {
        "session": booked,
        "block": booked.blocks.get(),
        "ada": registration_create(session_id=booked.pk, learner=ada, now=NOW).row(),
        "bob": registration_create(session_id=booked.pk, learner=bob, now=NOW).row(),
    }


def page(world: dict[str, Any]) -> str:
    return reverse("attendance:attendance-sheet", args=[world["session"].pk])


def row_url(world: dict[str, Any], who: str) -> str:
    return reverse(
        "attendance:attendance-mark",
        args=[world["session"].pk, world["block"].pk, world[who].pk],
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("coordinator", 200),
        ("auditor", 200),
        ("instructor", 200),
        ("learner", 403),
        ("outsider", 403),
    ],
)
def test_the_page_is_for_the_sessions_instructors_coordinators_and_auditors(
    taught, page_client, request, who, expected
):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    assert page_client(user).get(page(taught)).status_code == expected


def test_another_instructor_may_not_see_or_mark_it(taught, page_client):
    someone = factories.InstructorFactory(user__username="someone").user
    assert page_client(someone).get(page(taught)).status_code == 403
    assert (
        page_client(someone).post(row_url(taught, "ada"), {"status": "present"}).status_code == 403
    )


def test_auditors_read_the_marks_but_get_no_buttons_and_may_not_post(
    taught, page_client, auditor, instructor
):
    page_client(instructor.user).post(row_url(taught, "ada"), {"status": "late", "notes": "Bus"})
    client = page_client(auditor)
    html = client.get(page(taught)).content.decode()
    assert "Late" in html
    assert "Bus" in html
    assert 'type="radio"' not in html
    assert "All present (" not in html
    assert client.post(row_url(taught, "bob"), {"status": "present"}).status_code == 403
    assert AttendanceRecord.objects.count() == 1


def test_the_instructor_sees_a_row_per_learner_with_the_five_statuses(
    taught, page_client, instructor
):
    response = page_client(instructor.user).get(page(taught))
    html = response.content.decode()
    assert inline_code_in(html) == []
    assert [r.learner_name for r in response.context["rows"]] == ["Ada Byron", "Bob Stone"]
    for label in ("Present", "Late", "Left early", "Absent", "Excused"):
        assert html.count(f">{label}</label>") == 2
    assert "All present (2 unmarked)" in html
    assert "js/attendance.js" in html
    assert "Not marked yet." in html


def test_a_change_is_saved_at_once_and_the_row_comes_back(taught, page_client, instructor):
    response = page_client(instructor.user).post(
        row_url(taught, "ada"), {"status": "left_early", "minutes_attended": "120"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith("<li")
    assert "Saved." in html
    assert 'value="left_early" checked' in html
    assert 'value="120"' in html
    record = AttendanceRecord.objects.get()
    assert (record.status, record.minutes_attended) == ("left_early", 120)
    assert record.recorded_by == instructor.user


def test_a_refused_change_says_so_on_the_row_and_keeps_the_choice(taught, page_client, instructor):
    response = page_client(instructor.user).post(
        row_url(taught, "ada"), {"status": "late", "minutes_attended": "999", "notes": "x"}, **HTMX
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not saved." in html
    assert "between 0 and the block" in html
    assert 'value="late" checked' in html  # the user's choice, to correct and retry
    assert 'value="999"' in html
    assert not AttendanceRecord.objects.exists()
    odd = page_client(instructor.user).post(
        row_url(taught, "ada"), {"minutes_attended": "ten"}, **HTMX
    )
    assert odd.status_code == 400
    assert "Choose present, late" in odd.content.decode()


def test_without_javascript_a_row_posts_and_comes_back_to_the_page(
    taught, page_client, coordinator
):
    client = page_client(coordinator)
    response = client.post(row_url(taught, "bob"), {"status": "excused", "notes": "Ill"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#row-{taught['block'].pk}-{taught['bob'].pk}")
    refused = client.post(row_url(taught, "bob"), {"status": "nope"})
    assert refused.status_code == 400
    assert "Not saved." in refused.content.decode()


def test_all_present_then_the_exception(taught, page_client, instructor):
    client = page_client(instructor.user)
    all_present = reverse(
        "attendance:attendance-all-present", args=[taught["session"].pk, taught["block"].pk]
    )
    assert client.post(all_present).status_code == 302
    client.post(row_url(taught, "bob"), {"status": "absent"}, **HTMX)
    statuses = dict(AttendanceRecord.objects.values_list("registration_id", "status"))
    assert statuses == {taught["ada"].pk: "present", taught["bob"].pk: "absent"}
    assert "All present (" not in client.get(page(taught)).content.decode()


def test_sign_off_names_the_unmarked_then_counts_them_absent_and_late_edits_need_a_reason(
    taught, page_client, instructor
):
    sign_off = reverse("attendance:attendance-sign-off", args=[taught["session"].pk])
    with time_machine.travel(at("2030-03-04", "10:00"), tick=False) as clock:
        client = page_client(instructor.user)  # signed in then (sessions expire)
        client.post(row_url(taught, "ada"), {"status": "present"})
        before = client.get(page(taught)).content.decode()
        assert "Attendance is signed off once every block has ended." in before
        clock.move_to(AFTER)
        html = client.get(page(taught)).content.decode()
        assert "1 mark is still missing." in html
        refused = client.post(sign_off, {})
        assert refused.status_code == 409
        assert "Bob Stone" in refused.content.decode()
        assert not AttendanceSignOff.objects.exists()
        done = client.post(sign_off, {"absent_unmarked": "on"})
        assert done.status_code == 302
        signed = client.get(page(taught)).content.decode()
        assert "Attendance signed off: 1 completed, 1 not completed." in signed
        assert "Signed off by" in signed
        assert "Reason for a change (signed off)" in signed

        late = client.post(row_url(taught, "bob"), {"status": "present"}, **HTMX)
        assert late.status_code == 400
        assert "give a reason" in late.content.decode()
        fixed = client.post(
            row_url(taught, "bob"), {"status": "present", "reason": "Sat at the back"}, **HTMX
        )
        assert fixed.status_code == 200
        html = fixed.content.decode()
        assert "Late edit" in html
        assert "Sat at the back" in html
        assert "Outcome is now: completed." in html
    assert Completion.objects.get(registration=taught["bob"]).status == "completed"


def test_under_the_minutes_rule_the_page_flags_late_rows_without_minutes_and_sign_off_names_them(
    taught, page_client, instructor, course
):
    course.completion_rule = "minutes"
    course.save()
    sign_off = reverse("attendance:attendance-sign-off", args=[taught["session"].pk])
    with time_machine.travel(AFTER, tick=False):
        client = page_client(instructor.user)
        row = client.post(row_url(taught, "ada"), {"status": "late"}, **HTMX)
        assert row.status_code == 200
        assert "Minutes needed: this course completes by minutes attended." in row.content.decode()
        client.post(row_url(taught, "bob"), {"status": "present"}, **HTMX)
        html = client.get(page(taught)).content.decode()
        assert "1 late or left-early mark needs its minutes before sign-off." in html
        assert f"#row-{taught['block'].pk}-{taught['ada'].pk}" in html
        refused = client.post(sign_off, {"absent_unmarked": "on"})
        assert refused.status_code == 409
        assert "need their minutes (Ada Byron)" in refused.content.decode()
        assert not AttendanceSignOff.objects.exists()
        fixed = client.post(
            row_url(taught, "ada"), {"status": "late", "minutes_attended": "170"}, **HTMX
        )
        assert "Minutes needed" not in fixed.content.decode()
        assert client.post(sign_off, {}).status_code == 302
    assert AttendanceSignOff.objects.exists()


def test_the_page_reads_a_constant_number_of_queries_whatever_the_number_of_learners(
    taught, page_client, instructor
):
    client = page_client(instructor.user)
    client.post(row_url(taught, "ada"), {"status": "late", "notes": "Bus"})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page(taught)).status_code == 200
        return len(queries)

    few = count()
    for n in range(6):
        learner = factories.UserFactory(role="Learner")
        registration = registration_create(
            session_id=taught["session"].pk, learner=learner, now=NOW
        ).row()
        if n % 2:
            client.post(
                reverse(
                    "attendance:attendance-mark",
                    args=[taught["session"].pk, taught["block"].pk, registration.pk],
                ),
                {"status": "absent"},
            )
    many = count()
    assert many == few
    assert few == PAGE_QUERIES


# The signed-in user (session, user, roles), the session, its blocks and assignments, the
# sheet's blocks, rows (registrations, their records in the block), the sign-off and the
# unmarked count (the lead check reads the prefetched assignments).
PAGE_QUERIES = 11


def test_the_home_page_lists_attendance_to_submit_until_it_is_signed_off(
    taught, page_client, instructor, coordinator, learner
):
    sheet = page(taught)
    with time_machine.travel(at("2030-03-04", "10:00"), tick=False) as clock:
        client = page_client(instructor.user)
        assert sheet not in client.get("/").content.decode()  # not over yet
        clock.move_to(AFTER)
        home = client.get("/").content.decode()
        assert "Attendance to submit" in home
        assert sheet in home
        assert sheet in page_client(coordinator).get("/").content.decode()
        someone = factories.InstructorFactory(user__username="someone").user
        assert sheet not in page_client(someone).get("/").content.decode()
        assert "Attendance to submit" not in page_client(learner).get("/").content.decode()
        client = page_client(instructor.user)
        sign_off = reverse("attendance:attendance-sign-off", args=[taught["session"].pk])
        assert client.post(sign_off, {"absent_unmarked": "on"}).status_code == 302
        assert sheet not in client.get("/").content.decode()
