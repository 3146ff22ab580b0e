"""Ledger pages. URL names: `notifications:message-<action>`."""

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("messages/", views.message_list, name="message-list"),
    path("messages/<id:pk>/resend/", views.message_resend_view, name="message-resend"),
]
