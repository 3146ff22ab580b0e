"""Browser pages. URL names: `login`, `logout`, `home`, `settings`, and
`<app>:<entity>-<action>` for `scheduling`, `attendance` and `notifications`."""

from django.urls import include, path

from attendance import attendance_views, participant_report_views
from attendance import urls as attendance_urls
from scheduling import views as scheduling
from tms import home, views
from tms import sign_off as doors

# Attendance's pages, with the marking and sign-off that also issue (or revoke) the
# certifications the completions earn and queue the xAPI statements for the LMS (tms/sign_off.py).
attendance_pages = [
    *attendance_urls.urlpatterns,
    path(
        "sessions/<id:pk>/attendance/<id:block_pk>/learners/<id:registration_pk>/",
        attendance_views.attendance_mark_row,
        {"mark": doors.mark},
        name="attendance-mark",
    ),
    path(
        "sessions/<id:pk>/attendance/<id:block_pk>/all-present/",
        attendance_views.attendance_all_present,
        {"mark_all": doors.mark_all_present},
        name="attendance-all-present",
    ),
    path(
        "blocks/<id:pk>/participant-report/",
        participant_report_views.import_report,
        {"importer": doors.report_import},
        name="participant-report-import",
    ),
    path(
        "participant-report-entries/<id:pk>/resolve/",
        participant_report_views.resolve_entry,
        {"resolve": doors.entry_resolve},
        name="participant-entry-resolve",
    ),
    path(
        "sessions/<id:pk>/attendance/sign-off/",
        attendance_views.attendance_sign_off_page,
        {"sign_off": doors.sign_off},
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
