"""Demo records of the past behind `manage.py seed_demo_records`: build, detect, remove them.

`seed_demo` schedules 300 sessions, all in the future, and registers nobody. This adds what an
instructor or an auditor needs to see the product at work, on top of it:

- two certifications, "Fire warden" (12 months, granted by HSE-120 Fire Warden Training) and
  "First aid" (24 months, granted by HSE-110 First Aid at Work), and the requirement "Site
  safety": everyone with the learner role holds Fire warden;
- eight more learners (invited as a coordinator invites them) besides the demo `learner`;
- sessions taught by the demo `instructor` as lead, in the past: HSE-101 then HSE-120 about
  three and two weeks ago (signed off: completions and certificates, one learner absent each
  time), HSE-110 ending on the last weekday before today (attendance partly marked, not signed
  off: the instructor's pending sign-off), and a CMP-101 video call a few days ago with no
  attendance yet (a sample Zoom participants report for it is written next to the data);
- HSE-101 and HSE-120 about eleven months ago for one learner, whose Fire warden certificate
  therefore expires within 60 days (the matrix's "expiring soon").

Everything goes through the services with a `now` in the past (created a week before it
starts, enrolled by the coordinator, marked and signed off just after each block ends), so
every rule holds as it did then. The sessions carry `RECORD_NOTE` in their notes: that is how
a loaded set is recognised.
"""

from __future__ import annotations

import csv
import datetime as dt
import zoneinfo
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction

from attendance.learner_accounts import learner_invite
from attendance.models import (
    AttendanceSource,
    AttendanceStatus,
    Registration,
    RegistrationSource,
)
from attendance.services.marking import Mark, attendance_mark
from attendance.services.registration import registration_create
from compliance.models import AudienceKind, Certification, Requirement
from compliance.services.certifications import (
    add_months,
    certification_create,
    certification_update,
    requirement_create,
)
from compliance.services.sign_off import sign_off_and_certify
from instructors.models import Instructor, Qualification
from instructors.services import qualification_create
from notifications.models import OutboxMessage
from scheduling.management import demo_data
from scheduling.management.demo import _delete_with_dependents, demo_loaded
from scheduling.models import (
    AssignmentRole,
    Course,
    DeliveryMode,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.selectors import rooms_available
from scheduling.services import ProposedBlock, ProposedInstructor, SessionInput, session_create
from tms.exceptions import DomainError, RuleViolation
from tms.roles import Role
from venues.models import HostAccount, Site

RECORD_NOTE = "Demo record (seed_demo_records): a session of the past."
ZONE = "Europe/London"
SITE_NAME_INDEX = 0  # the London site of demo_data.SITES

FIRE_WARDEN = ("FIRE-WARDEN", "Fire warden", 12, "HSE-120")
FIRST_AID = ("FIRST-AID", "First aid", 24, "HSE-110")
REQUIREMENT = "Site safety"
SHIFT_ATTEMPTS = 6  # weeks earlier a refused session may move

# (first name, last name, department); emails are first.last@example.com.
LEARNERS = (
    ("Amira", "Haddad", "Operations"),
    ("Ben", "Carter", "Operations"),
    ("Chloe", "Dubois", "Facilities"),
    ("Daniel", "Evans", "Facilities"),
    ("Elena", "Rossi", "Finance"),
    ("Farid", "Khan", "Finance"),
    ("Grace", "Lee", "Sales"),
    ("Hugo", "Moreau", "Sales"),
)


def learner_email(first: str, last: str) -> str:
    return f"{first}.{last}@example.com".lower()


def records_loaded() -> bool:
    return Session.objects.filter(notes=RECORD_NOTE).exists()


def zoom_report_path() -> Path:
    return Path(settings.BASE_DIR) / ".data" / "demo" / "zoom-participants-CMP-101.csv"


def remove_demo_records() -> int:
    """Delete the demo records (sessions with their registrations, attendance, completions
    and certificates; the extra learners; the requirement and certifications). Returns the
    number of sessions deleted."""
    user_model = get_user_model()
    emails = [learner_email(first, last) for first, last, _department in LEARNERS]
    with transaction.atomic():
        sessions = Session.objects.filter(notes=RECORD_NOTE)
        count = sessions.count()
        _delete_with_dependents(sessions)
        learners = user_model.objects.filter(username__in=emails)
        OutboxMessage.objects.filter(recipient__in=learners).delete()
        _delete_with_dependents(learners)
        Requirement.objects.filter(name=REQUIREMENT).delete()
        _delete_with_dependents(
            Certification.objects.filter(code__in=[FIRE_WARDEN[0], FIRST_AID[0]])
        )
    return count


def weekdays_before(day: dt.date, count: int) -> list[dt.date]:
    """The `count` weekdays before `day`, latest first."""
    days: list[dt.date] = []
    current = day
    while len(days) < count:
        current -= dt.timedelta(days=1)
        if current.weekday() < 5:
            days.append(current)
    return days


def weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(ZONE))


@dataclass
class Built:
    sessions: list[Session] = field(default_factory=list)
    registrations: int = 0
    marks: int = 0
    certificates: int = 0
    learners_created: int = 0
    zoom_report: Path | None = None


@dataclass(frozen=True)
class Plan:
    """One past session: course, mode, blocks (London time), who is enrolled, what happens."""

    code: str
    mode: str
    blocks: list[tuple[dt.datetime, dt.datetime]]
    learners: list[Any]
    absent: list[Any] = field(default_factory=list)  # absent from every block
    sign_off: bool = True
    marked_blocks: int | None = None  # without sign-off: how many blocks are marked (in order)


class RecordsBuilder:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.today = now.astimezone(zoneinfo.ZoneInfo(ZONE)).date()
        self.built = Built()
        user_model = get_user_model()
        try:
            self.coordinator = user_model.objects.get(username="coordinator")
            self.learner = user_model.objects.get(username="learner")
            self.teacher = Instructor.objects.select_related("user").get(
                user__username="instructor"
            )
        except (user_model.DoesNotExist, Instructor.DoesNotExist) as error:
            raise CommandError(
                "The demo organisation is incomplete: run `manage.py seed_demo --reset`."
            ) from error
        self.site = Site.objects.get(name=demo_data.SITES[SITE_NAME_INDEX].name)
        self.courses = {
            c.code: c
            for c in Course.objects.filter(code__in=["HSE-101", "HSE-110", "HSE-120", "CMP-101"])
        }

    def build(self) -> Built:
        self._catalogue()
        people = self._learners()
        learner, others = self.learner, people
        expiring = others[7]
        for plan in self._plans(learner, others, expiring):
            self._run(plan)
        self.built.zoom_report = self._zoom_report()
        return self.built

    # --- Catalogue, requirement, people ---------------------------------------------------

    def _catalogue(self) -> None:
        for code, name, months, course_code in (FIRE_WARDEN, FIRST_AID):
            course = self.courses[course_code]
            existing = Certification.objects.filter(code=code).first()
            if existing is not None:
                # Kept from an earlier load while `seed_demo --reset` replaced the courses.
                if not existing.courses.filter(pk=course.pk).exists():
                    certification_update(
                        certification_id=existing.pk,
                        changes={"courses": [*existing.courses.all(), course]},
                    )
            else:
                certification_create(
                    code=code,
                    name=name,
                    description=f"Granted by {course_code}; valid {months} months.",
                    valid_months=months,
                    courses=[course],
                )
        if not Requirement.objects.filter(name=REQUIREMENT).exists():
            requirement_create(
                name=REQUIREMENT,
                description="Everyone working on site holds a current Fire warden certificate.",
                certifications=Certification.objects.filter(code=FIRE_WARDEN[0]),
                audience=AudienceKind.ROLE,
                group=Group.objects.get(name=Role.LEARNER),
                expiring_soon_days=60,
            )
        # The demo instructor teaches all four courses (seed_demo qualifies them for some).
        for course in self.courses.values():
            if not Qualification.objects.filter(instructor=self.teacher, course=course).exists():
                qualification_create(instructor=self.teacher, course=course)

    def _learners(self) -> list[Any]:
        user_model = get_user_model()
        people = []
        for first, last, department in LEARNERS:
            email = learner_email(first, last)
            user = user_model.objects.filter(username=email).first()
            if user is None:
                user = learner_invite(
                    email=email,
                    first_name=first,
                    last_name=last,
                    department=department,
                    invited_by=self.coordinator,
                    now=self.now,
                )
                self.built.learners_created += 1
            people.append(user)
        return people

    # --- Sessions ---------------------------------------------------------------------------

    def _plans(self, learner: Any, others: list[Any], expiring: Any) -> list[Plan]:
        recent = weekdays_before(self.today, 15)  # recent[0]: the last weekday before today
        last_year = weekday_on_or_before(add_months(_at(self.today, 12), -12).date())
        # Ended ~45 days short of a year ago: the certificate expires within 60 days.
        old_fire = weekday_on_or_before(last_year + dt.timedelta(days=45))
        old_basics = weekday_on_or_before(old_fire - dt.timedelta(days=7))
        morning = (9, 0, 12, 30)

        def half(day: dt.date, hours: tuple[int, int, int, int] = morning) -> list[Any]:
            return [(_at(day, hours[0], hours[1]), _at(day, hours[2], hours[3]))]

        return [
            Plan("HSE-101", DeliveryMode.ILT, half(old_basics), [expiring, others[6]]),
            Plan("HSE-120", DeliveryMode.ILT, half(old_fire), [expiring]),
            Plan(
                "HSE-101",
                DeliveryMode.ILT,
                half(recent[14]),
                [learner, *others[:6]],
                absent=[others[5]],
            ),
            Plan(
                "HSE-120",
                DeliveryMode.ILT,
                half(recent[9]),
                [learner, *others[:5], others[6]],
                absent=[others[4]],
            ),
            Plan(
                "CMP-101",
                DeliveryMode.VILT,
                half(recent[3], (13, 30, 17, 0)),
                [learner, *others],
                sign_off=False,
                marked_blocks=0,
            ),
            Plan(
                "HSE-110",
                DeliveryMode.ILT,
                [(_at(day, 9), _at(day, 17)) for day in (recent[2], recent[1], recent[0])],
                [learner, *others[:7]],
                sign_off=False,
                marked_blocks=1,
            ),
        ]

    def _create(self, plan: Plan) -> tuple[Session, Plan]:
        """Create the plan's session; when the services refuse (a demo loaded weeks ago has
        sessions of its own in the past by now), try the same days a week earlier, and so on."""
        course = self.courses[plan.code]
        refusal: DomainError | None = None
        for weeks in range(SHIFT_ATTEMPTS):
            shift = dt.timedelta(weeks=weeks)
            tried = replace(
                plan, blocks=[(start - shift, end - shift) for start, end in plan.blocks]
            )
            created_at = tried.blocks[0][0] - dt.timedelta(days=14)
            accounts: list[HostAccount | None] = [None]
            if plan.mode == DeliveryMode.VILT:
                accounts = list(
                    HostAccount.objects.filter(
                        participant_limit__gte=course.default_capacity
                    ).order_by("pk")
                )
            for account in accounts:
                try:
                    data = self._input(course, tried, created_at, account)
                    session = session_create(data=data, created_by=self.coordinator, now=created_at)
                except DomainError as error:
                    refusal = error
                    continue
                return session, tried
        raise CommandError(f"Could not place the {course.code} demo record: {refusal}")

    def _run(self, plan: Plan) -> None:
        session, plan = self._create(plan)
        first_start = plan.blocks[0][0]
        self.built.sessions.append(session)
        enrolled_at = first_start - dt.timedelta(days=7)
        for person in plan.learners:
            registration_create(
                session_id=session.pk,
                learner=person,
                enrolled_by=self.coordinator,
                source=RegistrationSource.COORDINATOR,
                now=enrolled_at,
            )
            self.built.registrations += 1
        blocks = list(SessionBlock.objects.filter(session=session).order_by("starts_at"))
        registrations = list(
            Registration.objects.filter(session=session).select_related("learner").order_by("pk")
        )
        marked = len(blocks) if plan.sign_off else (plan.marked_blocks or 0)
        absent = {p.pk for p in plan.absent}
        for block in blocks[:marked]:
            for index, registration in enumerate(registrations):
                status = AttendanceStatus.PRESENT
                if registration.learner_id in absent:
                    status = AttendanceStatus.ABSENT
                elif index == 2 and len(blocks) > 1:
                    status = AttendanceStatus.LATE
                attendance_mark(
                    registration=registration,
                    block=block,
                    mark=Mark(status),
                    source=AttendanceSource.ROSTER,
                    recorded_by=self.teacher.user,
                    now=block.ends_at + dt.timedelta(minutes=10),
                )
                self.built.marks += 1
        if plan.sign_off:
            sign_off_and_certify(
                session_id=session.pk,
                by=self.teacher.user,
                now=blocks[-1].ends_at + dt.timedelta(hours=1),
            )

    def _input(
        self, course: Course, plan: Plan, created_at: dt.datetime, account: HostAccount | None
    ) -> SessionInput:
        room = None
        join_url = ""
        capacity = course.default_capacity
        if plan.mode == DeliveryMode.ILT:
            room = self._room(course, plan)
            capacity = min(capacity, room.capacity)
        elif account is None:
            raise CommandError("No demo host account is big enough for the video call.")
        elif account.provider == "manual":
            join_url = "https://zoom.us/j/5550100200"
        return SessionInput(
            course=course,
            delivery_mode=plan.mode,
            status=SessionStatus.SCHEDULED,
            capacity=capacity,
            min_attendees=1,
            time_zone=ZONE,
            blocks=[
                ProposedBlock(start, end, room, index=i)
                for i, (start, end) in enumerate(plan.blocks)
            ],
            instructors=[ProposedInstructor(self.teacher, AssignmentRole.LEAD)],
            host_account=account,
            join_url=join_url,
            registration_opens_at=created_at,
            registration_closes_at=plan.blocks[0][0] - dt.timedelta(days=1),
            notes=RECORD_NOTE,
        )

    def _room(self, course: Course, plan: Plan) -> Any:
        wanted = len(plan.learners) + 2
        for features in (list(course.wanted_room_features), []):
            room = (
                rooms_available(
                    blocks=plan.blocks, min_capacity=wanted, features=features, site_id=self.site.pk
                )
                .order_by("capacity", "pk")
                .first()
            )
            if room is not None:
                return room
        raise RuleViolation(f"No free London room for the {course.code} demo record.")

    # --- The participant report of the video call ----------------------------------------

    def _zoom_report(self) -> Path | None:
        """A Zoom participants report for the CMP-101 call: most stayed, one left early, one
        joined late, one never came. Written once; None when it cannot be written."""
        session = next(s for s in self.built.sessions if s.delivery_mode == DeliveryMode.VILT)
        start, end = session.starts_at, session.ends_at
        if start is None or end is None:
            return None
        zone = zoneinfo.ZoneInfo(ZONE)
        people = list(
            Registration.objects.filter(session=session)
            .select_related("learner")
            .order_by("pk")
            .values_list("learner__first_name", "learner__last_name", "learner__email")
        )
        rows = []
        for index, (first, last, email) in enumerate(people):
            if index == len(people) - 1:
                continue  # never joined
            joined = start - dt.timedelta(minutes=3) + dt.timedelta(minutes=index % 3)
            left = end + dt.timedelta(minutes=1)
            if index == 3:
                joined = start + dt.timedelta(minutes=40)
            if index == 5:
                left = start + dt.timedelta(minutes=95)
            minutes = round((left - joined).total_seconds() / 60)
            rows.append(
                [
                    f"{first} {last}",
                    email,
                    joined.astimezone(zone).strftime("%m/%d/%Y %I:%M:%S %p"),
                    left.astimezone(zone).strftime("%m/%d/%Y %I:%M:%S %p"),
                    minutes,
                    "No",
                ]
            )
        path = zoom_report_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(
                    [
                        "Name (Original Name)",
                        "User Email",
                        "Join Time",
                        "Leave Time",
                        "Duration (Minutes)",
                        "Guest",
                    ]
                )
                writer.writerows(rows)
        except OSError:
            return None
        return path


def build_demo_records(now: dt.datetime) -> Built:
    if not demo_loaded():
        raise CommandError("Load the demo organisation first: `manage.py seed_demo`.")
    return RecordsBuilder(now).build()
