"""Browser pages (owned by the web UI work)."""

urlpatterns: list = []
