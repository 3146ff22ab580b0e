"""The coordinators' management pages (`manage:<resource>-list|create|edit|delete`, built by
`tms.crud.resource_urls`), the enrolment picker's suggestions and the set-password page that
invitations link to. Part of the composition root: it imports every app's page modules."""

from __future__ import annotations

from django.urls import include, path

from attendance.pages.learners import LEARNERS, learner_reinvite, learner_suggest
from compliance.pages.certifications import CERTIFICATIONS
from compliance.pages.requirements import REQUIREMENTS
from instructors.pages.profiles import INSTRUCTORS
from instructors.pages.unavailability import UNAVAILABILITY
from instructors.pages.working_hours import WORKING_HOURS
from scheduling.pages.courses import COURSES
from scheduling.pages.qualifications import QUALIFICATIONS
from tms.account_views import SetPasswordView
from tms.crud import resource_urls
from tms.manage_index import manage_index
from venues.pages.closures import CLOSURES
from venues.pages.host_accounts import HOST_ACCOUNTS
from venues.pages.rooms import ROOMS
from venues.pages.sites import SITES

RESOURCES = [
    COURSES,
    SITES,
    ROOMS,
    CLOSURES,
    HOST_ACCOUNTS,
    INSTRUCTORS,
    QUALIFICATIONS,
    WORKING_HOURS,
    UNAVAILABILITY,
    LEARNERS,
    CERTIFICATIONS,
    REQUIREMENTS,
]

manage_patterns = [
    path("", manage_index(RESOURCES), name="index"),
    path("learners/suggest/", learner_suggest, name="learner-suggest"),
    path("learners/<id:pk>/invite/", learner_reinvite, name="learners-reinvite"),
    *(pattern for resource in RESOURCES for pattern in resource_urls(resource)),
]

urlpatterns = [
    path("manage/", include((manage_patterns, "manage"))),
    path(
        "accounts/set-password/<uidb64>/<token>/",
        SetPasswordView.as_view(),
        name="password-set",
    ),
]
