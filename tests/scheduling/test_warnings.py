"""Warnings are shown but allowed: the session is still created."""

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
