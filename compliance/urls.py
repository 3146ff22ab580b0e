"""Compliance pages: `compliance:my-certificates`, `compliance:certificate-pdf`,
`compliance:matrix`, `compliance:audit-log`, `compliance:object-history` (one object's
history, for a row that loads it when opened), `compliance:learner-record`, and the
exports' `compliance:export-<action>`."""

from django.urls import include, path

from compliance import audit_views, learner_record, views
from compliance.exports import urls as exports_urls

app_name = "compliance"
urlpatterns = [
    path("my/certificates/", views.my_certificates_page, name="my-certificates"),
    path("certificates/<id:pk>/pdf/", views.certificate_download, name="certificate-pdf"),
    path("compliance/matrix/", views.matrix_page, name="matrix"),
    path("audit-log/", audit_views.audit_log, name="audit-log"),
    path(
        "audit-log/objects/<str:table>/<str:pk>/",
        audit_views.object_history_fragment,
        name="object-history",
    ),
    path("compliance/learners/<id:pk>/", learner_record.learner_record, name="learner-record"),
    # Exports for auditors: `compliance:export-<action>` (compliance/exports/urls.py).
    path("", include(exports_urls.urlpatterns)),
]
