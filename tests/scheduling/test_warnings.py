"""Warnings are shown but allowed: the session is still created."""

import datetime as dt

import pytest

from scheduling.models import Session
from scheduling.services import Proposal, ProposedBlock, ProposedInstructor, evaluate
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db


def _proposal(course, instructor, room, blocks, **extra):
    return Proposal(
        course=course,
        delivery_mode="ilt",
        capacity=10,
        time_zone="Europe/Paris",
        blocks=[ProposedBlock(s, e, room, index=i) for i, (s, e) in enumerate(blocks)],
        instructors=[ProposedInstructor(instructor, "lead")],
        **extra,
    )


def _codes(findings):
    return {f.code for f in findings}


def test_teaching_outside_working_hours_is_a_warning(course, instructor, room):
    factories.QualificationFactory(instructor=instructor, course=course)
    factories.WorkingHoursFactory(instructor=instructor, weekday=0, starts="09:00", ends="12:00")
    report = evaluate(
        _proposal(
            course, instructor, room, [(at("2030-03-04", "13:00"), at("2030-03-04", "16:00"))]
        ),
        now=NOW,
    )
    assert report.ok
    assert "outside_working_hours" in _codes(report.warnings)


def test_over_the_weekly_hour_limit_is_a_warning(schedule, course, instructor, room):
    instructor.weekly_hour_limit = 5
    instructor.save()
    schedule()  # 3 h on Monday 2030-03-04
    report = evaluate(
        _proposal(
            course,
            instructor,
            factories.RoomFactory(),
            [(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))],
        ),
        now=NOW,
    )
    assert report.ok
    assert "over_weekly_hours" in _codes(report.warnings)


def test_room_lacking_a_wanted_feature_is_a_warning(course, instructor):
    factories.QualificationFactory(instructor=instructor, course=course)
    bare = factories.RoomFactory(features=[])
    report = evaluate(
        _proposal(
            course,
            instructor,
            bare,
            [(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))],
            wanted_features=["projector"],
        ),
        now=NOW,
    )
    assert report.ok
    assert [w.code for w in report.warnings] == ["room_lacks_feature"]


def test_teaching_at_two_sites_on_one_day_is_a_warning(schedule, course, instructor):
    schedule()  # morning at the fixture room's site
    elsewhere = factories.RoomFactory()  # a new site
    report = evaluate(
        _proposal(
            course, instructor, elsewhere, [(at("2030-03-04", "14:00"), at("2030-03-04", "16:00"))]
        ),
        now=NOW,
    )
    assert report.ok
    assert "two_sites_one_day" in _codes(report.warnings)
    assert Session.objects.count() == 1


def test_a_clean_plan_has_no_warnings(course, instructor, room):
    factories.QualificationFactory(instructor=instructor, course=course)
    report = evaluate(
        _proposal(
            course, instructor, room, [(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))]
        ),
        now=NOW,
    )
    assert report.ok
    assert report.warnings == []


def test_a_room_in_another_zone_than_the_session_is_a_warning(course, instructor):
    factories.QualificationFactory(instructor=instructor, course=course)
    paris = factories.RoomFactory(name="Salle 1")
    new_york = factories.RoomFactory(site=factories.SiteFactory(time_zone="America/New_York"))
    blocks = [
        (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
        (at("2030-03-05", "09:00"), at("2030-03-05", "12:00")),
    ]
    proposal = _proposal(course, instructor, paris, blocks)
    proposal.blocks = [proposal.blocks[0], ProposedBlock(*blocks[1], new_york, index=1)]

    report = evaluate(proposal, now=NOW)

    assert report.ok
    (warning,) = [w for w in report.warnings if w.code == "zone_differs_from_site"]
    assert warning.field == "time_zone"
    assert warning.message == (
        f"The session's times are in Europe/Paris, but {new_york.site.name} "
        f"(room {new_york.name}) is in America/New_York."
    )


def test_a_block_in_the_repeated_autumn_hour_is_a_warning_naming_which_one(course, instructor):
    factories.QualificationFactory(instructor=instructor, course=course)
    room = factories.RoomFactory()
    # 02:30 happens twice in Paris on Sun 27 Oct 2030; 01:30 UTC is the second (CET).
    start = dt.datetime(2030, 10, 27, 1, 30, tzinfo=dt.UTC)
    report = evaluate(
        _proposal(course, instructor, room, [(start, start + dt.timedelta(hours=2))]), now=NOW
    )

    assert report.ok
    (warning,) = [w for w in report.warnings if w.code == "repeated_local_time"]
    assert warning.field == "blocks[0]"
    assert warning.message == (
        "02:30 on Sun 27 Oct 2030 happens twice in Europe/Paris (clocks go back from 03:00 to "
        "02:00): this block starts at the second 02:30, CET (UTC+01:00)."
    )
