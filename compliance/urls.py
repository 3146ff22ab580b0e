"""Audit-log pages. URL names: `compliance:<entity>-<action>`."""

from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("audit-log/", views.audit_log, name="audit-log"),
]
