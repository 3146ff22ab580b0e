"""API routes: /api/v1/... (every view ruled by tms/permissions.py), /api/schema/, /api/docs/.

URL names: ``api:<app>:<entity>-<action>``, e.g. ``api:scheduling:session-detail``.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from attendance import api as attendance_api
from attendance import attendance_api as marking_api
from attendance import check_in_api, participant_report_api, roster_api
from compliance import api as compliance_api
from compliance import audit_api
from compliance.exports import api as exports_api
from instructors import api as instructors_api
from notifications import api as notifications_api
from scheduling import api as scheduling_api
from scheduling.availability_api import SessionAvailabilityApi
from tms import sign_off as doors
from venues import api as venues_api

scheduling_patterns = [
    path("courses/", scheduling_api.CourseCollectionApi.as_view(), name="course-list"),
    path("courses/<id:pk>/", scheduling_api.CourseDetailApi.as_view(), name="course-detail"),
    # Session reads carry their seats (attendance builds on scheduling, not the reverse).
    path("sessions/", attendance_api.SeatedSessionCollectionApi.as_view(), name="session-list"),
    path("sessions/check/", scheduling_api.SessionCheckApi.as_view(), name="session-check"),
    path(
        "sessions/<id:pk>/",
        attendance_api.SeatedSessionDetailApi.as_view(),
        name="session-detail",
    ),
    path(
        "sessions/<id:pk>/transition/",
        scheduling_api.SessionTransitionApi.as_view(),
        name="session-transition",
    ),
    path(
        "sessions/<id:pk>/reschedule/",
        scheduling_api.SessionRescheduleApi.as_view(),
        name="session-reschedule",
    ),
    path("sessions/<id:pk>/blocks/", scheduling_api.BlockAddApi.as_view(), name="block-add"),
    path(
        "sessions/<id:pk>/blocks/<id:block_pk>/cancel/",
        scheduling_api.BlockCancelApi.as_view(),
        name="block-cancel",
    ),
    path(
        "sessions/<id:pk>/blocks/<id:block_pk>/restore/",
        scheduling_api.BlockRestoreApi.as_view(),
        name="block-restore",
    ),
    path(
        "sessions/<id:pk>/assignments/",
        scheduling_api.AssignmentCreateApi.as_view(),
        name="assignment-create",
    ),
    path(
        "sessions/<id:pk>/assignments/<id:assignment_pk>/",
        scheduling_api.AssignmentDeleteApi.as_view(),
        name="assignment-delete",
    ),
    path("assignments/", scheduling_api.AssignmentListApi.as_view(), name="assignment-list"),
    path(
        "availability/rooms/",
        scheduling_api.RoomAvailabilityApi.as_view(),
        name="availability-rooms",
    ),
    path(
        "availability/instructors/",
        scheduling_api.InstructorAvailabilityApi.as_view(),
        name="availability-instructors",
    ),
    path("availability/session/", SessionAvailabilityApi.as_view(), name="availability-session"),
]

venues_patterns = [
    path("sites/", venues_api.SiteCollectionApi.as_view(), name="site-list"),
    path("sites/<id:pk>/", venues_api.SiteDetailApi.as_view(), name="site-detail"),
    path("rooms/", venues_api.RoomCollectionApi.as_view(), name="room-list"),
    path("rooms/<id:pk>/", venues_api.RoomDetailApi.as_view(), name="room-detail"),
    path("room-closures/", venues_api.RoomClosureCollectionApi.as_view(), name="room-closure-list"),
    path(
        "room-closures/<id:pk>/",
        venues_api.RoomClosureDetailApi.as_view(),
        name="room-closure-detail",
    ),
    path("host-accounts/", venues_api.HostAccountCollectionApi.as_view(), name="host-account-list"),
    path(
        "host-accounts/<id:pk>/",
        venues_api.HostAccountDetailApi.as_view(),
        name="host-account-detail",
    ),
]

instructors_patterns = [
    path("instructors/", instructors_api.InstructorCollectionApi.as_view(), name="instructor-list"),
    path(
        "instructors/<id:pk>/",
        instructors_api.InstructorDetailApi.as_view(),
        name="instructor-detail",
    ),
    path(
        "instructors/<id:instructor_pk>/qualifications/",
        instructors_api.QualificationCollectionApi.as_view(),
        name="qualification-list",
    ),
    path(
        "instructors/<id:instructor_pk>/qualifications/<id:pk>/",
        instructors_api.QualificationDetailApi.as_view(),
        name="qualification-detail",
    ),
    path(
        "instructors/<id:instructor_pk>/working-hours/",
        instructors_api.WorkingHoursCollectionApi.as_view(),
        name="working-hours-list",
    ),
    path(
        "instructors/<id:instructor_pk>/working-hours/<id:pk>/",
        instructors_api.WorkingHoursDetailApi.as_view(),
        name="working-hours-detail",
    ),
    path(
        "instructors/<id:instructor_pk>/unavailability/",
        instructors_api.UnavailabilityCollectionApi.as_view(),
        name="unavailability-list",
    ),
    path(
        "instructors/<id:instructor_pk>/unavailability/<id:pk>/",
        instructors_api.UnavailabilityDetailApi.as_view(),
        name="unavailability-detail",
    ),
]

attendance_patterns = [
    path(
        "sessions/<id:pk>/register/",
        attendance_api.RegistrationRegisterApi.as_view(),
        name="registration-register",
    ),
    path(
        "sessions/<id:pk>/registrations/",
        attendance_api.RegistrationEnrolApi.as_view(),
        name="registration-enrol",
    ),
    path(
        "sessions/<id:pk>/bulk-enrol/",
        attendance_api.RegistrationBulkEnrolApi.as_view(),
        name="registration-bulk-enrol",
    ),
    path("sessions/<id:pk>/roster/", attendance_api.RosterApi.as_view(), name="roster-detail"),
    path("registrations/", attendance_api.RegistrationListApi.as_view(), name="registration-list"),
    path(
        "registrations/<id:pk>/cancel/",
        attendance_api.RegistrationCancelApi.as_view(),
        name="registration-cancel",
    ),
    path(
        "registrations/<id:pk>/accept/",
        attendance_api.OfferAcceptApi.as_view(),
        name="offer-accept",
    ),
    path(
        "registrations/<id:pk>/decline/",
        attendance_api.OfferDeclineApi.as_view(),
        name="offer-decline",
    ),
    path(
        "registrations/<id:pk>/move/",
        attendance_api.WaitlistMoveApi.as_view(),
        name="waitlist-move",
    ),
    path(
        "registrations/<id:pk>/promote/",
        roster_api.WaitlistPromoteApi.as_view(),
        name="waitlist-promote",
    ),
    path(
        "sessions/<id:pk>/roster/messages/",
        roster_api.RosterMessageApi.as_view(),
        name="roster-message",
    ),
    path(
        "course-waitlist/",
        attendance_api.CourseWaitlistCollectionApi.as_view(),
        name="course-waitlist-list",
    ),
    path(
        "course-waitlist/<id:pk>/",
        attendance_api.CourseWaitlistDetailApi.as_view(),
        name="course-waitlist-detail",
    ),
    path(
        "sessions/<id:pk>/attendance/",
        marking_api.AttendanceSheetApi.as_view(mark=doors.mark),
        name="attendance-detail",
    ),
    path(
        "sessions/<id:pk>/attendance/blocks/<id:block_pk>/all-present/",
        marking_api.AttendanceAllPresentApi.as_view(mark_all=doors.mark_all_present),
        name="attendance-all-present",
    ),
    path(
        "sessions/<id:pk>/attendance/sign-off/",
        marking_api.AttendanceSignOffApi.as_view(sign_off=doors.sign_off),
        name="attendance-sign-off",
    ),
    path(
        "messages/preview/",
        attendance_api.MessagePreviewApi.as_view(),
        name="message-preview",
    ),
]
# Participant reports of VILT blocks (attendance.participant_report_api).
attendance_patterns += [
    path(
        "blocks/<id:pk>/participant-reports/",
        participant_report_api.ParticipantReportImportApi.as_view(importer=doors.report_import),
        name="participant-report-import",
    ),
    path(
        "participant-reports/<id:pk>/",
        participant_report_api.ParticipantReportDetailApi.as_view(),
        name="participant-report-detail",
    ),
    path(
        "participant-report-entries/<id:pk>/resolve/",
        participant_report_api.ParticipantEntryResolveApi.as_view(resolve=doors.entry_resolve),
        name="participant-entry-resolve",
    ),
]

# Self check-in (attendance.check_in_api).
check_in_patterns = [
    path("check-in/", check_in_api.CheckInApi.as_view(), name="check-in"),
    path(
        "sessions/<id:pk>/blocks/<id:block_pk>/check-in-code/",
        check_in_api.CheckInCodeApi.as_view(),
        name="check-in-code",
    ),
]
attendance_patterns += check_in_patterns

notifications_patterns = [
    path("messages/", notifications_api.MessageListApi.as_view(), name="message-list"),
    path(
        "messages/<id:pk>/resend/",
        notifications_api.MessageResendApi.as_view(),
        name="message-resend",
    ),
]

compliance_patterns = [
    path(
        "certifications/",
        compliance_api.CertificationCollectionApi.as_view(),
        name="certification-list",
    ),
    path(
        "certifications/<id:pk>/",
        compliance_api.CertificationDetailApi.as_view(),
        name="certification-detail",
    ),
    path(
        "learner-certifications/",
        compliance_api.LearnerCertificationListApi.as_view(),
        name="learner-certification-list",
    ),
    path(
        "learner-certifications/<id:pk>/",
        compliance_api.LearnerCertificationDetailApi.as_view(),
        name="learner-certification-detail",
    ),
    path(
        "requirements/", compliance_api.RequirementCollectionApi.as_view(), name="requirement-list"
    ),
    path(
        "requirements/<id:pk>/",
        compliance_api.RequirementDetailApi.as_view(),
        name="requirement-detail",
    ),
    path("compliance-matrix/", compliance_api.ComplianceMatrixApi.as_view(), name="matrix-detail"),
    path("audit-log/", audit_api.AuditLogListApi.as_view(), name="audit-log-list"),
    path("exports/", exports_api.ExportCollectionApi.as_view(), name="export-list"),
    path("exports/<id:pk>/", exports_api.ExportDetailApi.as_view(), name="export-detail"),
    path(
        "exports/<id:pk>/download/",
        exports_api.ExportDownloadApi.as_view(),
        name="export-download",
    ),
    path(
        "exports/<id:pk>/manifest/",
        exports_api.ExportManifestApi.as_view(),
        name="export-manifest",
    ),
]

v1_patterns = [
    path("", include((scheduling_patterns, "scheduling"))),
    path("", include((venues_patterns, "venues"))),
    path("", include((instructors_patterns, "instructors"))),
    path("", include((attendance_patterns, "attendance"))),
    path("", include((notifications_patterns, "notifications"))),
    path("", include((compliance_patterns, "compliance"))),
]

app_name = "api"
urlpatterns = [
    path("v1/", include(v1_patterns)),
    # The schema and its docs are public: they describe the API, not data. Assets come from
    # drf_spectacular_sidecar (no CDN) and the split view keeps scripts out of the page (CSP).
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[AllowAny]),
        name="docs",
    ),
]
