"""API routes: /api/v1/..., /api/schema/, /api/docs/ (owned by the API work)."""

urlpatterns: list = []
