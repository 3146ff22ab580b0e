"""Export pages. URL names: `compliance:export-<action>` (included by compliance/urls.py)."""

from django.urls import path

from compliance.exports import views

urlpatterns = [
    path("exports/", views.export_home, name="export-home"),
    path("exports/new/", views.export_create, name="export-create"),
    path("exports/<id:pk>/", views.export_detail, name="export-detail"),
    path("exports/<id:pk>/progress/", views.export_progress, name="export-progress"),
    path("exports/<id:pk>/download/", views.export_download, name="export-download"),
    path("exports/<id:pk>/manifest.json", views.export_manifest, name="export-manifest"),
]
