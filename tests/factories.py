"""factory_boy factories: plain rows. Business states (booked sessions) go through services."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from instructors.models import Instructor, Qualification, Unavailability, WorkingHours
from scheduling.models import Course, DeliveryMode
from venues.models import HostAccount, Room, RoomClosure, Site, VirtualClassroomProvider

PASSWORD = "test-password-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            # get_or_create: transactional tests flush the groups the migration made.
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Site {n}")
    address = factory.Faker("address")
    time_zone = "Europe/Paris"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    capacity = 20
    features = factory.LazyFunction(lambda: ["projector", "whiteboard"])
    setup_buffer_minutes = 0
    teardown_buffer_minutes = 0


class RoomClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomClosure

    room = factory.SubFactory(RoomFactory)
    starts_at = factory.LazyFunction(lambda: dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    ends_at = factory.LazyAttribute(lambda c: c.starts_at + dt.timedelta(days=1))
    reason = "Maintenance"


class HostAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HostAccount

    name = factory.Sequence(lambda n: f"Licence {n}")
    provider = VirtualClassroomProvider.URL
    base_url = "https://meet.example.org"
    participant_limit = 100


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"C{n:03d}")
    title = factory.Faker("catch_phrase")
    default_duration_minutes = 180
    default_capacity = 12
    delivery_modes = factory.LazyFunction(lambda: [DeliveryMode.ILT, DeliveryMode.VILT])


class InstructorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instructor

    user = factory.SubFactory(UserFactory, role="Instructor")
    home_time_zone = "Europe/Paris"
    weekly_hour_limit = 40


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification
        django_get_or_create = ("instructor", "course")

    instructor = factory.SubFactory(InstructorFactory)
    course = factory.SubFactory(CourseFactory)
    expires_on = None


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    instructor = factory.SubFactory(InstructorFactory)
    weekday = 0
    starts = dt.time(8)
    ends = dt.time(17)


class UnavailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unavailability

    instructor = factory.SubFactory(InstructorFactory)
    starts_at = factory.LazyFunction(lambda: dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    ends_at = factory.LazyAttribute(lambda u: u.starts_at + dt.timedelta(days=1))
    kind = "leave"
