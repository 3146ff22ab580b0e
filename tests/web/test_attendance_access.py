"""Who may take or see attendance, asked of every path: for each persona and each capability,
the page and the API allow or refuse alike, and as the issue says — only the session's
instructors (lead and co-facilitator) and coordinators mark, import reports and show the
check-in code; auditors read everything and change nothing; learners see only their own
records; the lead (or a coordinator) signs off. One rule (attendance/access.py) decides all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from attendance.access import may_mark, may_read_all, may_show_code, may_sign_off
from attendance.models import (
    AttendanceRecord,
    AttendanceSignOff,
    AttendanceSource,
    ParticipantReport,
    ParticipantReportEntry,
)
from attendance.services.marking import Mark, attendance_mark_outcome
from attendance.services.participant_import import participant_report_import
from attendance.services.registration import registration_create
from scheduling.models import DeliveryMode
from tests import factories
from tests.attendance.report_world import report_bytes
from tests.conftest import NOW, at
from tests.web.conftest import MODEL_BACKEND

pytestmark = pytest.mark.django_db

# After both sessions' blocks (the VILT one on 4 March, the room one on 5 March): everything
# may be done, sign-off included.
AFTER = at("2030-03-05", "13:00")

PERSONAS = [
    "coordinator",
    "auditor",
    "lead",
    "co_facilitator",
    "other_instructor",
    "learner",
    "outsider",
]
MARKERS = {"coordinator", "lead", "co_facilitator"}
READERS = MARKERS | {"auditor"}
EXPECTED = {
    "mark": MARKERS,
    "read_all": READERS,
    "sign_off": {"coordinator", "lead"},
    "show_code": MARKERS,
    "read_reports": READERS,
    "import_reports": MARKERS,
    "resolve_reports": MARKERS,
    "see_roster": READERS,
}


@pytest.fixture(autouse=True)
def _after_the_blocks() -> Any:
    """The clock stands after the blocks from before anyone signs in (a session cookie made
    now would have expired by 2030)."""
    with time_machine.travel(AFTER, tick=False):
        yield


@pytest.fixture
def people(coordinator, auditor, instructor, learner, outsider, course) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    co = factories.InstructorFactory(user__username="co-facilitator")
    other = factories.InstructorFactory(user__username="other-instructor")
    factories.QualificationFactory(instructor=other, course=course)
    return {
        "coordinator": coordinator,
        "auditor": auditor,
        "lead": instructor.user,
        "co_facilitator": co.user,
        "co_profile": co,
        "other_instructor": other.user,
        "learner": learner,
        "outsider": outsider,
    }


@pytest.fixture
def taught(schedule, people, instructor, host_account) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A room session (5 March) and an online one (4 March, with an imported participant
    report), both led by `instructor` with a co-facilitator; `learner` and Bob hold seats in
    the room session, Bob is marked present there."""
    staff = [instructor, people["co_profile"]]
    room_session = schedule(
        [(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))],
        instructors=staff,
        status="scheduled",
    )
    online = schedule(
        [(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))],
        instructors=staff,
        mode=DeliveryMode.VILT,
        host_account=host_account,
        status="scheduled",
    )
    bob = factories.UserFactory(username="bob", role="Learner")
    mine = registration_create(session_id=room_session.pk, learner=people["learner"], now=NOW)
    his = registration_create(session_id=room_session.pk, learner=bob, now=NOW).row()
    block = room_session.blocks.get()
    attendance_mark_outcome(
        registration=his,
        block=block,
        mark=Mark("present", None, ""),
        source=AttendanceSource.ROSTER,
        recorded_by=people["coordinator"],
        now=AFTER,
    )
    online_block = online.blocks.get()
    imported = participant_report_import(
        block_id=online_block.pk,
        file_name="zoom_participants.csv",
        data=report_bytes("zoom_participants.csv"),
        by=people["coordinator"],
        now=AFTER,
    )
    entry = ParticipantReportEntry.objects.filter(report=imported.report).first()
    assert entry is not None
    return {
        "session": room_session,
        "block": block,
        "mine": mine.row(),
        "bob": bob,
        "online": online,
        "online_block": online_block,
        "report": imported.report,
        "entry": entry,
    }


def _page(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _allowed(response: Any) -> bool:
    """Refused is 403 or 404 (a session or block the user may not see); anything else got
    past the rule (a form error or a 409 of the service still means "you may")."""
    assert response.status_code < 500, response.content[:500]
    return response.status_code not in (403, 404)


def _upload() -> SimpleUploadedFile:
    data = report_bytes("zoom_participants.csv")
    return SimpleUploadedFile("zoom_participants.csv", data, content_type="text/csv")


Path = Callable[[Any, dict[str, Any]], bool]


def _paths(w: dict[str, Any]) -> dict[str, dict[str, Path]]:
    """capability → {name of path: does it let `user` through?}"""
    s, b, online_block = w["session"], w["block"], w["online_block"]
    report, entry = w["report"], w["entry"]
    sheet = f"/sessions/{s.pk}/attendance/"
    api = f"/api/v1/sessions/{s.pk}/attendance/"
    mark = {"registration_id": w["mine"].pk, "block_id": b.pk, "status": "late"}

    def api_reads_everyone(user: Any, _w: dict[str, Any]) -> bool:
        response = _api(user).get(api)
        if not _allowed(response):
            return False
        learners = {r["learner_id"] for r in response.json()["records"]}
        return w["bob"].pk in learners  # a learner's answer holds their own records only

    return {
        "mark": {
            "page: mark a row": lambda u, _: _allowed(
                _page(u).post(f"{sheet}{b.pk}/learners/{w['mine'].pk}/", {"status": "present"})
            ),
            "page: all present": lambda u, _: _allowed(
                _page(u).post(f"{sheet}{b.pk}/all-present/", {})
            ),
            "api: mark": lambda u, _: _allowed(_api(u).post(api, mark, format="json")),
            "api: all present": lambda u, _: _allowed(
                _api(u).post(f"{api}blocks/{b.pk}/all-present/", {}, format="json")
            ),
        },
        "read_all": {
            "page: the sheet": lambda u, _: _allowed(_page(u).get(sheet)),
            "api: every learner's records": api_reads_everyone,
        },
        "show_code": {
            "page: the panel": lambda u, _: _allowed(
                _page(u).get(f"/sessions/{s.pk}/blocks/{b.pk}/check-in/")
            ),
            "page: the panel's code": lambda u, _: _allowed(
                _page(u).get(f"/sessions/{s.pk}/blocks/{b.pk}/check-in/code/")
            ),
            "page: to the panel": lambda u, _: _allowed(
                _page(u).get(f"/sessions/{s.pk}/check-in/")
            ),
            "api: the code": lambda u, _: _allowed(
                _api(u).get(f"/api/v1/sessions/{s.pk}/blocks/{b.pk}/check-in-code/")
            ),
        },
        "read_reports": {
            "page: the session's reports": lambda u, _: _allowed(
                _page(u).get(f"/sessions/{w['online'].pk}/participant-reports/")
            ),
            "page: a report": lambda u, _: _allowed(
                _page(u).get(f"/participant-reports/{report.pk}/")
            ),
            "api: a report": lambda u, _: _allowed(
                _api(u).get(f"/api/v1/participant-reports/{report.pk}/")
            ),
        },
        "import_reports": {
            "page: import": lambda u, _: _allowed(
                _page(u).post(f"/blocks/{online_block.pk}/participant-report/", {"file": _upload()})
            ),
            "api: import": lambda u, _: _allowed(
                _api(u).post(
                    f"/api/v1/blocks/{online_block.pk}/participant-reports/",
                    {"file": _upload()},
                    format="multipart",
                )
            ),
        },
        "resolve_reports": {
            "page: resolve": lambda u, _: _allowed(
                _page(u).post(
                    f"/participant-report-entries/{entry.pk}/resolve/", {"registration": "ignore"}
                )
            ),
            "api: resolve": lambda u, _: _allowed(
                _api(u).post(
                    f"/api/v1/participant-report-entries/{entry.pk}/resolve/",
                    {"ignore": True},
                    format="json",
                )
            ),
        },
        "see_roster": {
            "page: the roster": lambda u, _: _allowed(_page(u).get(f"/sessions/{s.pk}/roster/")),
            "api: the roster": lambda u, _: _allowed(
                _api(u).get(f"/api/v1/sessions/{s.pk}/roster/")
            ),
        },
        # Last: once signed off, marks need a reason (still allowed, a 400 naming it).
        "sign_off": {
            "page: sign off": lambda u, _: _allowed(
                _page(u).post(f"{sheet}sign-off/", {"absent_unmarked": "on"})
            ),
            "api: sign off": lambda u, _: _allowed(
                _api(u).post(f"{api}sign-off/", {"absent_unmarked": True}, format="json")
            ),
        },
    }


def _counts() -> tuple[int, ...]:
    return (
        AttendanceRecord.objects.count(),
        AttendanceRecord.objects.filter(status="late").count(),
        AttendanceSignOff.objects.count(),
        ParticipantReport.objects.count(),
        ParticipantReportEntry.objects.filter(match="ignored").count(),
    )


@pytest.mark.parametrize("who", PERSONAS)
def test_every_page_and_api_path_allows_and_refuses_the_same_people(taught, people, who):
    user = people[who]
    before = _counts()
    for capability, paths in _paths(taught).items():
        answers = {name: path(user, taught) for name, path in paths.items()}
        expected = who in EXPECTED[capability]
        assert answers == dict.fromkeys(paths, expected), (who, capability)
    if who not in MARKERS:
        # Auditors, learners, other instructors and outsiders changed nothing.
        assert _counts() == before


@pytest.mark.parametrize("who", PERSONAS)
def test_the_rule_itself_says_the_same(taught, people, who):
    """The functions every path calls, asked directly (for the co-facilitator too)."""
    user, session = people[who], taught["session"]
    assert may_mark(user, session) == (who in EXPECTED["mark"])
    assert may_read_all(user, session) == (who in EXPECTED["read_all"])
    assert may_show_code(user, session) == (who in EXPECTED["show_code"])
    assert may_sign_off(user, session) == (who in EXPECTED["sign_off"])


def test_the_sheet_offers_marking_and_sign_off_only_to_those_who_may(taught, people):
    sheet = f"/sessions/{taught['session'].pk}/attendance/"
    mark_url = f"{sheet}{taught['block'].pk}/learners/"
    sign_off_url = f"{sheet}sign-off/"
    for who in ("coordinator", "lead", "co_facilitator", "auditor"):
        html = _page(people[who]).get(sheet).content.decode()
        assert (mark_url in html) == (who in EXPECTED["mark"]), who
        assert (sign_off_url in html) == (who in EXPECTED["sign_off"]), who


def test_the_roster_offers_the_report_import_only_to_those_who_may_import(taught, people):
    roster = f"/sessions/{taught['online'].pk}/roster/"
    for who in ("coordinator", "lead", "co_facilitator", "auditor"):
        html = _page(people[who]).get(roster).content.decode()
        offered = "Import participant report" in html
        assert offered == (who in EXPECTED["import_reports"]), who
        assert f"/sessions/{taught['online'].pk}/participant-reports/" in html
