"""The public calendar feed URL (no sign-in: the token is the key). Included from tms/urls.py,
outside the signed-in pages."""

from django.urls import path

from attendance.feed_views import calendar_feed

urlpatterns = [
    path("feeds/<str:token>.ics", calendar_feed, name="calendar-feed"),
]
