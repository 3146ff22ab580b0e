"""Browser pages. URL names: `login`, `logout`, `home`, `settings`, and
`<app>:<entity>-<action>` for `scheduling`, `attendance` and `notifications`."""

from django.urls import include, path

from attendance import attendance_views, participant_report_views
from attendance import urls as attendance_urls
from compliance.services.marking import (
    entry_resolve_and_certify,
    mark_all_present_and_certify,
    mark_and_certify,
    report_import_and_certify,
)
from compliance.services.sign_off import sign_off_and_certify
from scheduling import views as scheduling
from tms import home, views

# Attendance's pages, with the marking and sign-off that also issue (or revoke) the
# certifications the completions earn (compliance builds on attendance, so the two meet here).
attendance_pages = [
    *attendance_urls.urlpatterns,
    path(
        "sessions/<id:pk>/attendance/<id:block_pk>/learners/<id:registration_pk>/",
        attendance_views.attendance_mark_row,
        {"mark": mark_and_certify},
        name="attendance-mark",
    ),
    path(
        "sessions/<id:pk>/attendance/<id:block_pk>/all-present/",
        attendance_views.attendance_all_present,
        {"mark_all": mark_all_present_and_certify},
        name="attendance-all-present",
    ),
    path(
        "blocks/<id:pk>/participant-report/",
        participant_report_views.import_report,
        {"importer": report_import_and_certify},
        name="participant-report-import",
    ),
    path(
        "participant-report-entries/<id:pk>/resolve/",
        participant_report_views.resolve_entry,
        {"resolve": entry_resolve_and_certify},
        name="participant-entry-resolve",
    ),
    path(
        "sessions/<id:pk>/attendance/sign-off/",
        attendance_views.attendance_sign_off_page,
        {"sign_off": sign_off_and_certify},
        name="attendance-sign-off",
    ),
]

scheduling_patterns = [
    path("sessions/", scheduling.session_list, name="session-list"),
    path("sessions/new/", scheduling.session_create, name="session-create"),
    path("sessions/new/check/", scheduling.session_check, name="session-check"),
    path("sessions/new/block-row/", scheduling.session_block_row, name="session-block-row"),
    path("sessions/<id:pk>/", scheduling.session_detail, name="session-detail"),
    path("sessions/<id:pk>/edit/", scheduling.session_edit, name="session-edit"),
    path(
        "sessions/<id:pk>/status/",
        scheduling.session_transition,
        name="session-transition",
    ),
    path("sessions/<id:pk>/blocks/new/", scheduling.block_add, name="block-add"),
    path(
        "sessions/<id:pk>/blocks/<id:block_pk>/move/",
        scheduling.block_move,
        name="block-move",
    ),
    path(
        "sessions/<id:pk>/blocks/<id:block_pk>/cancel/",
        scheduling.block_cancel,
        name="block-cancel",
    ),
    path(
        "sessions/<id:pk>/blocks/<id:block_pk>/restore/",
        scheduling.block_restore,
        name="block-restore",
    ),
    path(
        "sessions/<id:pk>/instructors/",
        scheduling.instructor_assign,
        name="instructor-assign",
    ),
    path(
        "sessions/<id:pk>/instructors/<id:assignment_pk>/remove/",
        scheduling.instructor_unassign,
        name="instructor-unassign",
    ),
    path("availability/rooms/", scheduling.room_search, name="room-availability"),
    path(
        "availability/instructors/",
        scheduling.instructor_search,
        name="instructor-availability",
    ),
    path("", include("scheduling.planning_urls")),
    path("", include("scheduling.calendar.resource_urls")),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    path("accounts/settings/", views.my_settings, name="settings"),
    path("", include((scheduling_patterns, "scheduling"))),
    path("", include((attendance_pages, "attendance"))),
    path("", include("notifications.urls")),
    path("calendar/", include("scheduling.calendar.urls")),
    path("", include("attendance.feed_page_urls")),
    path("", include("tms.manage_urls")),
    path("", include("compliance.urls")),
]
