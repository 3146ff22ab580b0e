"""Compliance pages: `compliance:my-certificates`, `compliance:certificate-pdf`,
`compliance:matrix`."""

from django.urls import path

from compliance import views

app_name = "compliance"
urlpatterns = [
    path("my/certificates/", views.my_certificates_page, name="my-certificates"),
    path("certificates/<id:pk>/pdf/", views.certificate_download, name="certificate-pdf"),
    path("compliance/matrix/", views.matrix_page, name="matrix"),
]
