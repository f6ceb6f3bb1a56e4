"""Coverage pages (placeholder until the coverage pages land)."""

urlpatterns: list = []
