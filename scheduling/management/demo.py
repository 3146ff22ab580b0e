"""The demo organisation behind `manage.py seed_demo`: build it, detect it, remove it.

Three sites, twelve rooms, four virtual-classroom licences, 25 instructors, a 40-course catalog
and 300 sessions over the next three months, plus one sign-in per role. Sessions are created
through `session_create` (and cancelled through `session_transition`), so every scheduling rule
holds exactly as it does for a coordinator: no double booking, qualified instructors, rooms big
enough. Choices come from a seeded `random.Random`; when the services refuse a choice, another
slot or resource is tried.

The command is `scheduling/management/commands/seed_demo.py`; the static data (catalog, people,
venues) is in `demo_data.py`.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Model, ProtectedError, Q, QuerySet, RestrictedError

from instructors.models import Instructor, Qualification, Unavailability, WorkingHours
from notifications.models import OutboxMessage
from scheduling.management import demo_data as data
from scheduling.models import (
    AssignmentRole,
    Course,
    DeliveryMode,
    Session,
    SessionStatus,
)
from scheduling.selectors import instructors_available, rooms_available
from scheduling.services import (
    ProposedBlock,
    ProposedInstructor,
    SessionInput,
    session_create,
    session_transition,
    weekly_block_times,
)
from tms.exceptions import DomainError
from tms.roles import Role
from venues.models import HostAccount, Room, RoomClosure, Site

SESSION_COUNT = 300
HORIZON_DAYS = 91  # "the next three months"
ATTEMPTS_PER_SESSION = 60
ROLE_USERS = {
    # username: (first name, last name, group or None for the superuser)
    "coordinator": ("Grace", "Okafor", Role.COORDINATOR),
    "learner": ("Leo", "Martin", Role.LEARNER),
    "auditor": ("Ruth", "Ellis", Role.AUDITOR),
    "admin": ("Ada", "Admin", None),
}
# The demo instructor should have a visible timetable: prefer them as lead up to this many.
DEMO_INSTRUCTOR_TARGET = 10


def planned_status(index: int) -> str:
    """Status of the index-th demo session: mostly scheduled, some drafts, a few cancelled."""
    if index % 20 == 7:
        return SessionStatus.CANCELLED
    if index % 10 == 3:
        return SessionStatus.DRAFT
    return SessionStatus.SCHEDULED


def expected_status_counts(total: int = SESSION_COUNT) -> Counter[str]:
    return Counter(planned_status(i) for i in range(total))


def instructor_username(person: data.PersonData) -> str:
    if person.username:
        return person.username
    ascii_name = unicodedata.normalize("NFKD", f"{person.first_name}.{person.last_name}")
    return "".join(c for c in ascii_name.lower() if c.isalnum() or c == ".")


def demo_usernames() -> list[str]:
    return [*ROLE_USERS, *(instructor_username(p) for p in data.INSTRUCTORS)]


def demo_loaded() -> bool:
    return Site.objects.filter(name=data.SITES[0].name).exists()


def demo_sessions() -> QuerySet[Session]:
    return Session.objects.filter(course__code__in=[c.code for c in data.COURSES])


def remove_demo_data() -> int:
    """Delete the demo organisation and every session that uses any part of it.

    Sessions go first (their blocks, bookings and assignments cascade); the rooms, courses,
    licences and instructors they point at are protected until then. Returns the number of
    sessions deleted.
    """
    user_model = get_user_model()
    with transaction.atomic():
        users = user_model.objects.filter(username__in=demo_usernames())
        instructors = Instructor.objects.filter(user__in=users)
        rooms = Room.objects.filter(site__name__in=[s.name for s in data.SITES])
        accounts = HostAccount.objects.filter(name__in=[a.name for a in data.HOST_ACCOUNTS])
        courses = Course.objects.filter(code__in=[c.code for c in data.COURSES])
        sessions = Session.objects.filter(
            Q(course__in=courses)
            | Q(host_account__in=accounts)
            | Q(blocks__room__in=rooms)
            | Q(assignments__instructor__in=instructors)
        ).distinct()
        session_ids = list(sessions.values_list("pk", flat=True))
        # Their messages too: a deleted user's rows would stay (recipient set to NULL) and
        # every later test that counts or sends the outbox would meet them.
        OutboxMessage.objects.filter(recipient__in=users).delete()
        for rows in (
            Session.objects.filter(pk__in=session_ids),
            instructors,
            users,
            courses,
            rooms,
            Site.objects.filter(name__in=[s.name for s in data.SITES]),
            accounts,
        ):
            _delete_with_dependents(rows)
    return len(session_ids)


def _delete_with_dependents(rows: QuerySet[Any], depth: int = 0) -> None:
    """Delete `rows`, first deleting rows that protect them (registrations on a demo session...).

    Only for resetting the demo: whatever hangs off demo data goes with it.
    """
    try:
        rows.delete()
    except (ProtectedError, RestrictedError) as error:
        if depth >= 3:
            raise
        blocking: dict[type[Model], list[Any]] = defaultdict(list)
        for row in (
            error.protected_objects
            if isinstance(error, ProtectedError)
            else error.restricted_objects
        ):
            blocking[type(row)].append(row.pk)
        for model, pks in blocking.items():
            _delete_with_dependents(model._default_manager.filter(pk__in=pks), depth + 1)
        rows.delete()


def clashes() -> list[str]:
    """Demo names already taken by rows that are not part of a loaded demo."""
    found = [
        f"user {name}"
        for name in get_user_model()
        .objects.filter(username__in=demo_usernames())
        .values_list("username", flat=True)
    ]
    found += [
        f"course {code}"
        for code in Course.objects.filter(code__in=[c.code for c in data.COURSES]).values_list(
            "code", flat=True
        )
    ]
    found += [
        f"host account {name}"
        for name in HostAccount.objects.filter(
            name__in=[a.name for a in data.HOST_ACCOUNTS]
        ).values_list("name", flat=True)
    ]
    return found


def working_days(today: dt.date, horizon: int = HORIZON_DAYS) -> list[dt.date]:
    """Weekdays from tomorrow to `horizon` days ahead, without the Christmas/New Year closure."""
    days = []
    for offset in range(1, horizon + 1):
        day = today + dt.timedelta(days=offset)
        festive = (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1)
        if day.weekday() < 5 and not festive:
            days.append(day)
    return days


def _at(day: dt.date, clock: dt.time, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=zoneinfo.ZoneInfo(zone))


@dataclass
class Summary:
    refusals: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    token: str | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None


class DemoBuilder:
    """Builds the demo organisation; every choice comes from `rng`."""

    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        self.rng = rng
        self.now = now
        self.days = working_days(now.date())
        self.day_set = set(self.days)
        self.summary = Summary(first_day=self.days[0], last_day=self.days[-1])
        self.sites: dict[str, Site] = {}
        self.rooms: dict[str, list[Room]] = {}
        self.accounts: list[HostAccount] = []
        self.courses: list[Course] = []
        self.shapes: dict[str, str] = {}
        self.instructors: list[Instructor] = []
        self.coordinator: Any = None
        self.demo_instructor_sessions = 0

    def build(self) -> Summary:
        with transaction.atomic():
            self._people()
            self._venues()
            self._host_accounts()
            self._courses()
            self._instructors()
        self._sessions()
        return self.summary

    # --- Plain rows -----------------------------------------------------------------------

    def _people(self) -> None:
        user_model = get_user_model()
        # One PBKDF2 hash shared by every demo account: hashing 30 passwords separately would
        # take most of the command's run time, and these are published demo credentials anyway.
        password = make_password(data.DEMO_PASSWORD)
        groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
        for username, (first, last, role) in ROLE_USERS.items():
            user = user_model.objects.create(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
                password=password,
                is_staff=role is None,
                is_superuser=role is None,
            )
            if role is not None:
                user.groups.add(groups[role])
            if username == "coordinator":
                self.coordinator = user
        for person in data.INSTRUCTORS:
            username = instructor_username(person)
            user = user_model.objects.create(
                username=username,
                first_name=person.first_name,
                last_name=person.last_name,
                email=f"{username}@example.com",
                password=password,
            )
            user.groups.add(groups[Role.INSTRUCTOR])
            self.instructors.append(
                Instructor.objects.create(
                    user=user,
                    home_time_zone=person.zone,
                    weekly_hour_limit=person.weekly_hours,
                    day_rate=Decimal(person.day_rate),
                    currency=data.CURRENCY[person.zone],
                )
            )
        if apps.is_installed("rest_framework.authtoken"):
            from rest_framework.authtoken.models import Token

            self.summary.token = Token.objects.get_or_create(user=self.coordinator)[0].key

    def _venues(self) -> None:
        for site in data.SITES:
            self.sites[site.key] = Site.objects.create(
                name=site.name, address=site.address, time_zone=site.time_zone
            )
            self.rooms[site.key] = []
        for room in data.ROOMS:
            self.rooms[room.site].append(
                Room.objects.create(
                    site=self.sites[room.site],
                    name=room.name,
                    capacity=room.capacity,
                    features=list(room.features),
                    setup_buffer_minutes=room.setup,
                    teardown_buffer_minutes=room.teardown,
                    bookable=room.bookable,
                )
            )
        for closure in data.CLOSURES:
            room = next(r for r in self.rooms[closure.site] if r.name == closure.room)
            starts, ends = self._span(closure.day_offset, closure.days, room.site.time_zone)
            RoomClosure.objects.create(
                room=room, starts_at=starts, ends_at=ends, reason=closure.reason
            )

    def _span(self, offset: int, days: int, zone: str) -> tuple[dt.datetime, dt.datetime]:
        """Whole local days: from the offset-th demo day for `days` working days."""
        first = self.days[min(offset, len(self.days) - 1)]
        last = self.days[min(offset + days - 1, len(self.days) - 1)]
        return _at(first, dt.time(0), zone), _at(last + dt.timedelta(days=1), dt.time(0), zone)

    def _host_accounts(self) -> None:
        self.accounts = [
            HostAccount.objects.create(
                name=account.name,
                provider=account.provider,
                base_url=account.base_url,
                participant_limit=account.participant_limit,
            )
            for account in data.HOST_ACCOUNTS
        ]

    def _courses(self) -> None:
        by_code: dict[str, Course] = {}
        for course in data.COURSES:
            by_code[course.code] = Course.objects.create(
                code=course.code,
                title=course.title,
                description=course.description,
                default_duration_minutes=data.DURATION_MINUTES[course.shape],
                default_capacity=course.capacity,
                delivery_modes=list(course.modes),
                wanted_room_features=list(course.features),
            )
        for course in data.COURSES:
            if course.prerequisites:
                by_code[course.code].prerequisites.set(
                    [by_code[code] for code in course.prerequisites]
                )
        self.courses = list(by_code.values())
        self.shapes = {c.code: c.shape for c in data.COURSES}

    def _instructors(self) -> None:
        rng, today = self.rng, self.now.date()
        by_zone: dict[str, list[Instructor]] = {}
        for person in self.instructors:
            by_zone.setdefault(person.home_time_zone, []).append(person)
        qualified: dict[int, set[int]] = {p.pk: set() for p in self.instructors}
        for index, course in enumerate(self.courses):
            chosen = {p.pk for people in by_zone.values() for p in rng.sample(people, 2)}
            chosen.add(rng.choice(self.instructors).pk)
            if index % 4 == 0:  # the demo instructor teaches a broad slice of the catalog
                chosen.add(self.instructors[0].pk)
            for pk in chosen:
                qualified[pk].add(course.pk)
        rows = []
        for pk, course_ids in qualified.items():
            for course_id in sorted(course_ids):
                roll = rng.random()
                if roll < 0.08:  # lapses during the demo quarter: later sessions must not use it
                    expires: dt.date | None = today + dt.timedelta(days=rng.randint(25, 70))
                elif roll < 0.7:
                    expires = today + dt.timedelta(days=rng.randint(180, 720))
                else:
                    expires = None
                rows.append(
                    Qualification(instructor_id=pk, course_id=course_id, expires_on=expires)
                )
        Qualification.objects.bulk_create(rows)
        hours = []
        for person, spec in zip(self.instructors, data.INSTRUCTORS, strict=True):
            hours += [
                WorkingHours(instructor=person, weekday=day, starts=spec.starts, ends=spec.ends)
                for day in range(5)
            ]
        WorkingHours.objects.bulk_create(hours)
        for absence in data.UNAVAILABILITIES:
            person = self.instructors[absence.person]
            starts, ends = self._span(absence.day_offset, absence.days, person.home_time_zone)
            Unavailability.objects.create(
                instructor=person,
                starts_at=starts,
                ends_at=ends,
                kind=absence.kind,
                note=absence.note,
            )

    # --- Sessions, through the services ------------------------------------------------------

    def _sessions(self) -> None:
        order = list(self.courses)
        self.rng.shuffle(order)
        for index in range(SESSION_COUNT):
            course = order[index % len(order)]
            status = planned_status(index)
            session = self._place(course, status)
            if status == SessionStatus.CANCELLED:
                session_transition(
                    session_id=session.pk,
                    to_status=SessionStatus.CANCELLED,
                    reason=self.rng.choice(data.CANCELLATION_REASONS),
                    now=self.now,
                )

    def _place(self, course: Course, status: str) -> Session:
        """Create one session of `course`, trying other slots and resources when refused."""
        draft = status == SessionStatus.DRAFT
        for _attempt in range(ATTEMPTS_PER_SESSION):
            mode = self._mode(course)
            site_key = self.rng.choices(["lon", "par", "nyc"], weights=[4, 3, 3])[0]
            zone = self.sites[site_key].time_zone
            times = self._times(self.shapes[course.code], zone)
            if times is None:
                continue
            capacity = course.default_capacity
            room = None
            accounts: list[HostAccount | None] = [None]
            if mode == DeliveryMode.ILT:
                room = self._room(course, site_key, times)
                if room is None:
                    continue
                capacity = min(capacity, room.capacity)
            else:
                accounts = [a for a in self.accounts if a.participant_limit >= capacity]
                self.rng.shuffle(accounts)
            people = self._instructors_for(course, times, zone, draft=draft)
            if people is None:
                continue
            for account in accounts:
                self.summary.attempts += 1
                try:
                    session = session_create(
                        data=self._input(
                            course, mode, status, capacity, zone, times, room, people, account
                        ),
                        created_by=self.coordinator,
                        now=self.now,
                    )
                except DomainError as refused:
                    reason = refused.conflicts[0]["resource"] if refused.conflicts else refused.code
                    self.summary.refusals[reason] += 1
                    continue
                if any(p.instructor.pk == self.instructors[0].pk for p in people):
                    self.demo_instructor_sessions += 1
                return session
        raise CommandError(
            f"Could not place a {course.code} session in {ATTEMPTS_PER_SESSION} attempts."
        )

    def _mode(self, course: Course) -> str:
        if len(course.delivery_modes) == 1:
            return str(course.delivery_modes[0])
        return DeliveryMode.ILT if self.rng.random() < 0.55 else DeliveryMode.VILT

    def _times(self, shape: str, zone: str) -> list[tuple[dt.datetime, dt.datetime]] | None:
        """Block start/end instants for a course shape, or None if the drawn day does not fit."""
        rng, day = self.rng, self.rng.choice(self.days)
        if shape == data.HALF:
            starts, ends = rng.choice(
                [(dt.time(9), dt.time(12, 30)), (dt.time(13, 30), dt.time(17))]
            )
            return [(_at(day, starts, zone), _at(day, ends, zone))]
        if shape in (data.WEEKLY, data.SPLIT):
            weeks = 3 if shape == data.WEEKLY else 2
            if not all(day + dt.timedelta(weeks=w) in self.day_set for w in range(weeks)):
                return None
            if shape == data.WEEKLY:
                starts, ends = rng.choice([(dt.time(10), dt.time(12)), (dt.time(14), dt.time(16))])
            else:
                starts, ends = dt.time(9), dt.time(12, 30)
            return weekly_block_times(
                first_day=day, starts=starts, ends=ends, occurrences=weeks, time_zone=zone
            )
        length = {data.DAY: 1, data.TWO_DAY: 2, data.THREE_DAY: 3}[shape]
        dates = [day + dt.timedelta(days=k) for k in range(length)]
        if day.weekday() + length > 5:  # multi-day courses run within one week
            return None
        clock = (dt.time(9), dt.time(17))
        if not all(d in self.day_set for d in dates):
            return None
        return [(_at(d, clock[0], zone), _at(d, clock[1], zone)) for d in dates]

    def _room(
        self, course: Course, site_key: str, times: list[tuple[dt.datetime, dt.datetime]]
    ) -> Room | None:
        """A free room at the site, with the course's features if possible (else a warning)."""
        largest = max(r.capacity for r in self.rooms[site_key] if r.bookable)
        wanted = min(course.default_capacity, largest)
        site_id = self.sites[site_key].pk
        for features in (list(course.wanted_room_features), []):
            free = list(
                rooms_available(
                    blocks=times, min_capacity=wanted, features=features, site_id=site_id
                )
            )
            if free:
                return self.rng.choice(free)
        return None

    def _instructors_for(
        self,
        course: Course,
        times: list[tuple[dt.datetime, dt.datetime]],
        zone: str,
        *,
        draft: bool,
    ) -> list[ProposedInstructor] | None:
        """Lead (and sometimes a co-facilitator) among free, qualified instructors, local first.

        Returns None when nobody can teach it then; drafts may go without an instructor.
        """
        if draft and self.rng.random() < 0.5:
            return []
        free = list(instructors_available(course=course, blocks=times, time_zone=zone))
        local = [p for p in free if p.home_time_zone == zone]
        pool = local or free
        if not pool:
            return [] if draft else None
        demo = self.instructors[0]
        wants_demo = self.demo_instructor_sessions < DEMO_INSTRUCTOR_TARGET
        lead = demo if wants_demo and demo in pool else self.rng.choice(pool)
        chosen = [ProposedInstructor(lead, AssignmentRole.LEAD)]
        others = [p for p in free if p != lead]
        if others and self.rng.random() < 0.3:
            chosen.append(
                ProposedInstructor(self.rng.choice(others), AssignmentRole.CO_FACILITATOR)
            )
        return chosen

    def _input(
        self,
        course: Course,
        mode: str,
        status: str,
        capacity: int,
        zone: str,
        times: list[tuple[dt.datetime, dt.datetime]],
        room: Room | None,
        people: list[ProposedInstructor],
        account: HostAccount | None,
    ) -> SessionInput:
        first_start = min(start for start, _end in times)
        opens = self.now.replace(minute=0, second=0, microsecond=0)
        closes = first_start - dt.timedelta(days=2)
        if closes <= opens:
            closes = first_start
        manual_link = ""
        if account is not None and account.provider == "manual":
            manual_link = f"https://zoom.us/j/{self.rng.randrange(10**9, 10**10)}"
        return SessionInput(
            course=course,
            delivery_mode=mode,
            # Cancelled sessions were scheduled first, then cancelled (see `_sessions`).
            status=SessionStatus.DRAFT
            if status == SessionStatus.DRAFT
            else SessionStatus.SCHEDULED,
            capacity=capacity,
            min_attendees=capacity // 4,
            time_zone=zone,
            blocks=[
                ProposedBlock(start, end, room, index=i) for i, (start, end) in enumerate(times)
            ],
            instructors=people,
            host_account=account,
            join_url=manual_link,
            registration_opens_at=opens,
            registration_closes_at=closes,
            notes=self.rng.choice(data.SESSION_NOTES),
        )
