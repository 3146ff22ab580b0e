from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("tms.api_urls")),
    path("", include("tms.web_urls")),
]

# A URL no route matches: JSON under /api/, the 404 page elsewhere.
handler404 = "tms.api_errors.page_not_found"
