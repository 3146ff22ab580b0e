"""Calendar pages of the scheduling namespace: included once from `tms.web_urls` (inside the
scheduling patterns, so the names are `scheduling:<name>`)."""

from django.urls import path

from scheduling.calendar import moves, timeline

urlpatterns = [
    path("calendar/resources/", timeline.resource_calendar, name="resource-calendar"),
    path(
        "calendar/resources/sessions/<id:pk>/blocks/<id:block_pk>/move/",
        moves.timeline_block_move,
        name="timeline-block-move",
    ),
    path("sessions/new/shift/", moves.session_plan_shift, name="session-plan-shift"),
]
