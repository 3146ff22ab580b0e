"""Registration pages. URL names: `attendance:<entity>-<action>`; the one-click link in the
offer email is `attendance:offer` (its only argument is the signed token)."""

from django.urls import path

from attendance import (
    attendance_views,
    calendar_views,
    catalog,
    participant_report_views,
    roster_views,
    views,
)
from attendance.check_in_urls import urlpatterns as check_in_urlpatterns

app_name = "attendance"

urlpatterns = [
    path("catalog/", catalog.catalog, name="catalog"),
    path("my-training/", views.my_training, name="my-training"),
    path("sessions/<id:pk>/register/", views.register, name="registration-create"),
    path("sessions/<id:pk>/enrol/", views.enrol, name="registration-enrol"),
    path("sessions/<id:pk>/enrol/bulk/", views.bulk_enrol, name="registration-bulk-enrol"),
    path("sessions/<id:pk>/roster/", views.roster, name="roster"),
    path("registrations/<id:pk>/cancel/", views.cancel, name="registration-cancel"),
    path(
        "registrations/<id:pk>/calendar.ics",
        calendar_views.registration_calendar,
        name="registration-calendar",
    ),
    path(
        "registrations/<id:pk>/accept/",
        views.offer_respond,
        {"action": "accept"},
        name="offer-accept",
    ),
    path(
        "registrations/<id:pk>/decline/",
        views.offer_respond,
        {"action": "decline"},
        name="offer-decline",
    ),
    path("registrations/<id:pk>/move/", views.move, name="waitlist-move"),
    path("offers/<str:token>/", views.offer, name="offer"),
    path(
        "courses/<id:pk>/waitlist/join/",
        views.course_waitlist_add,
        name="course-waitlist-join",
    ),
    path(
        "course-waitlist/<id:pk>/leave/",
        views.course_waitlist_remove,
        name="course-waitlist-leave",
    ),
    path(
        "course-waitlist/links/<str:token>/",
        views.course_waitlist_link,
        name="course-waitlist-link",
    ),
]
# The roster's coordinator actions (attendance.roster_views).
urlpatterns += [
    path("registrations/<id:pk>/promote/", roster_views.promote_chosen, name="waitlist-promote"),
    path("sessions/<id:pk>/roster/message/", roster_views.message_everyone, name="roster-message"),
]
# Self check-in (attendance.check_in_urls).
urlpatterns += check_in_urlpatterns
# Attendance per block and sign-off (attendance.attendance_views).
urlpatterns += [
    path(
        "sessions/<id:pk>/attendance/",
        attendance_views.attendance_sheet,
        name="attendance-sheet",
    ),
]
# Marking, sign-off, report import and resolving are routed by the composition root
# (tms/web_urls.py), which passes the doors that also certify.
# Participant reports of VILT blocks (attendance.participant_report_views).
urlpatterns += [
    path(
        "sessions/<id:pk>/participant-reports/",
        participant_report_views.session_reports,
        name="participant-reports",
    ),
    path(
        "participant-reports/<id:pk>/",
        participant_report_views.report_result,
        name="participant-report",
    ),
]
