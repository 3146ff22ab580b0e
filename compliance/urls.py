"""Compliance pages: `compliance:my-certificates`, `compliance:certificate-pdf`,
`compliance:matrix`, `compliance:audit-log`."""

from django.urls import path

from compliance import audit_views, views

app_name = "compliance"
urlpatterns = [
    path("my/certificates/", views.my_certificates_page, name="my-certificates"),
    path("certificates/<id:pk>/pdf/", views.certificate_download, name="certificate-pdf"),
    path("compliance/matrix/", views.matrix_page, name="matrix"),
    path("audit-log/", audit_views.audit_log, name="audit-log"),
]
