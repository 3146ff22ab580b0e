"""The "Calendar subscriptions" page and its actions. URL names: `feeds:<action>`."""

from django.urls import path

from attendance import feed_pages

app_name = "feeds"

urlpatterns = [
    path("calendar-feeds/", feed_pages.subscriptions, name="subscriptions"),
    path("calendar-feeds/new/", feed_pages.issue, name="issue"),
    path("calendar-feeds/new/resource/", feed_pages.issue_resource, name="issue-resource"),
    path("calendar-feeds/<id:pk>/revoke/", feed_pages.revoke, name="revoke"),
]
