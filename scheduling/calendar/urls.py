"""Calendar pages, included from tms/web_urls.py under calendar/. URL names `calendar:<name>`:

- `calendar:schedule` — the sessions the user may see (coordinators, auditors);
- `calendar:mine` — the signed-in instructor's own calendar;
- `calendar:instructor` — any instructor's calendar (for those who see every instructor);
- `calendar:unavailability-create`, `calendar:unavailability-delete` — POST forms on it.

Every page takes `?view=week|month|agenda&date=YYYY-MM-DD` (any day of the period).
"""

from django.urls import path

from scheduling.calendar import views

app_name = "calendar"

urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("mine/", views.mine, name="mine"),
    path("instructors/<id:pk>/", views.instructor, name="instructor"),
    path(
        "instructors/<id:pk>/unavailability/",
        views.unavailability_create,
        name="unavailability-create",
    ),
    path(
        "instructors/<id:pk>/unavailability/<id:absence_pk>/remove/",
        views.unavailability_delete,
        name="unavailability-delete",
    ),
]
