"""Participant report pages: the session's reports, the upload form, the result with a
resolve form per participant; errors as form errors; who may see and do what."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attendance.models import AttendanceRecord, ParticipantMatch, ParticipantReport
from tests.attendance.report_world import report_bytes

pytestmark = pytest.mark.django_db


def csv_file(name: str = "zoom_participants.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, report_bytes(name), content_type="text/csv")


def import_url(report_block) -> str:  # type: ignore[no-untyped-def]
    return reverse("attendance:participant-report-import", args=[report_block.pk])


def test_the_roster_links_to_the_participant_reports_of_a_vilt_session(
    page_client, instructor, report_session
):
    page = page_client(instructor.user).get(reverse("attendance:roster", args=[report_session.pk]))
    assert (
        reverse("attendance:participant-reports", args=[report_session.pk]) in page.content.decode()
    )
    reports = page_client(instructor.user).get(
        reverse("attendance:participant-reports", args=[report_session.pk])
    )
    assert reports.status_code == 200
    assert import_url(report_session.blocks.get()) in reports.content.decode()


def test_upload_shows_the_result_with_unmatched_rows_and_name_matches_flagged(
    page_client, instructor, report_block, report_seats
):
    client = page_client(instructor.user)
    form = client.get(import_url(report_block))
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.content.decode()
    response = client.post(import_url(report_block), {"file": csv_file()}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The report was imported: 4 participant(s)." in page
    assert "Dial-in 555-0100" in page
    assert "Matched by name (check it)" in page
    assert "Not matched" in page
    dial_in = response.context["report"].entries.get(match=ParticipantMatch.UNMATCHED)
    resolve = reverse("attendance:participant-entry-resolve", args=[dial_in.pk])
    assert f'action="{resolve}"' in page


def test_the_same_file_again_says_when_it_was_imported(
    page_client, instructor, report_block, report_seats
):
    client = page_client(instructor.user)
    client.post(import_url(report_block), {"file": csv_file()})
    again = client.post(import_url(report_block), {"file": csv_file()}, follow=True)
    assert "already imported for this block" in again.content.decode()
    assert ParticipantReport.objects.count() == 1


def test_a_malformed_file_is_a_form_error_naming_the_line(
    page_client, instructor, report_block, report_seats
):
    response = page_client(instructor.user).post(
        import_url(report_block), {"file": csv_file("zoom_malformed.csv")}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert errors[0].startswith("Line 4, column “Join Time”")
    assert "nothing was changed" in response.content.decode()
    assert ParticipantReport.objects.count() == 0
    assert AttendanceRecord.objects.count() == 0


def test_no_file_is_a_form_error(page_client, instructor, report_block):
    response = page_client(instructor.user).post(import_url(report_block), {})
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_resolving_from_the_result_page_marks_the_learner(
    page_client, instructor, report_block, report_seats
):
    client = page_client(instructor.user)
    result = client.post(import_url(report_block), {"file": csv_file()}, follow=True)
    report = result.context["report"]
    dial_in = report.entries.get(match=ParticipantMatch.UNMATCHED)
    url = reverse("attendance:participant-entry-resolve", args=[dial_in.pk])
    empty = client.post(url, {"registration": ""})
    assert empty.status_code == 400
    assert (
        "registration"
        in next(
            row["form"] for row in empty.context["entries"] if row["entry"].pk == dial_in.pk
        ).errors
    )
    done = client.post(url, {"registration": str(report_seats["dan"].pk)}, follow=True)
    assert "is matched; attendance was updated" in done.content.decode()
    record = AttendanceRecord.objects.get(registration=report_seats["dan"], block=report_block)
    assert (record.status, record.minutes_attended) == ("present", 170)
    ignored = client.post(url, {"registration": "ignore"}, follow=True)
    assert "set aside" in ignored.content.decode()
    record.refresh_from_db()
    assert record.status == "absent"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("coordinator", 200),
        ("instructor", 200),
        ("other_instructor", 404),
        ("auditor", 403),
        ("learner", 403),
        ("outsider", 403),
    ],
)
def test_who_may_open_the_import_form(
    who, expected, page_client, report_block, coordinator, instructor, auditor, learner, outsider
):
    from tests import factories

    people = {
        "coordinator": coordinator,
        "instructor": instructor.user,
        "other_instructor": factories.InstructorFactory(user__username="other").user,
        "auditor": auditor,
        "learner": learner,
        "outsider": outsider,
    }
    assert page_client(people[who]).get(import_url(report_block)).status_code == expected


def test_auditors_read_a_result_but_get_no_resolve_forms(
    page_client, instructor, auditor, learner, report_block, report_seats
):
    client = page_client(instructor.user)
    report = client.post(import_url(report_block), {"file": csv_file()}, follow=True).context[
        "report"
    ]
    url = reverse("attendance:participant-report", args=[report.pk])
    page = page_client(auditor).get(url)
    assert page.status_code == 200
    assert "participant-report-entries" not in page.content.decode()
    assert page_client(learner).get(url).status_code == 403
    dial_in = report.entries.get(match=ParticipantMatch.UNMATCHED)
    resolve = reverse("attendance:participant-entry-resolve", args=[dial_in.pk])
    assert page_client(auditor).post(resolve, {"registration": "ignore"}).status_code == 403


def test_the_pages_carry_no_inline_code(
    page_client, instructor, report_block, report_seats, report_session
):
    from tests.web.conftest import inline_code_in

    client = page_client(instructor.user)
    result = client.post(import_url(report_block), {"file": csv_file()}, follow=True)
    pages = [
        result,
        client.get(import_url(report_block)),
        client.get(reverse("attendance:participant-reports", args=[report_session.pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        assert inline_code_in(page.content.decode()) == []


def test_after_sign_off_the_form_asks_for_a_reason(
    page_client, instructor, report_block, report_seats
):
    from attendance.models import AttendanceSignOff
    from tests.attendance.test_participant_import import LATER

    AttendanceSignOff.objects.create(
        session=report_block.session, signed_off_by=instructor.user, signed_off_at=LATER
    )
    client = page_client(instructor.user)
    refused = client.post(import_url(report_block), {"file": csv_file()})
    assert refused.status_code == 400
    assert refused.context["form"].errors["reason"] == ["A reason is required after sign-off."]
    assert ParticipantReport.objects.count() == 0
    done = client.post(
        import_url(report_block), {"file": csv_file(), "reason": "Report came late"}, follow=True
    )
    assert "The report was imported" in done.content.decode()
    assert AttendanceRecord.objects.filter(late_edit=True).count() == 5
