"""Planning pages (included in the `scheduling` namespace by `tms/web_urls.py`)."""

from django.urls import path

from scheduling import planning_views

urlpatterns = [
    path(
        "availability/session/",
        planning_views.session_slot_search,
        name="session-slot-search",
    ),
    path(
        "sessions/<id:pk>/room/",
        planning_views.session_room_change,
        name="session-room-change",
    ),
    path("sessions/<id:pk>/copy/", planning_views.session_copy_view, name="session-copy"),
]
