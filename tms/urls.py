from django.contrib import admin
from django.urls import include, path

from tms.health import health

urlpatterns = [
    # Public, like the sign-in page: uptime checks read it without an account.
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/", include("tms.api_urls")),
    path("", include("attendance.feed_urls")),  # calendar feeds: the token is the key
    path("", include("tms.web_urls")),
]

# A URL no route matches: JSON under /api/, the 404 page elsewhere.
handler404 = "tms.api_errors.page_not_found"
