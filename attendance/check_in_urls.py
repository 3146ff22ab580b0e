"""Self check-in pages (attendance.check_in_views), added to `attendance.urls` (namespace
`attendance`): the learner's `/check-in/` and the instructor's panel per block."""

from django.urls import path

from attendance import check_in_views

urlpatterns = [
    path("check-in/", check_in_views.check_in, name="check-in"),
    path("sessions/<id:pk>/check-in/", check_in_views.check_in_start, name="check-in-start"),
    path(
        "sessions/<id:pk>/blocks/<id:block_pk>/check-in/",
        check_in_views.check_in_panel,
        name="check-in-panel",
    ),
    path(
        "sessions/<id:pk>/blocks/<id:block_pk>/check-in/code/",
        check_in_views.check_in_panel_code,
        name="check-in-code",
    ),
    path(
        "sessions/<id:pk>/blocks/<id:block_pk>/check-in/qr.svg",
        check_in_views.check_in_qr,
        name="check-in-qr",
    ),
]
