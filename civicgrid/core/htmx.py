"""What the views that htmx talks to ask of a request."""

from django.http import HttpRequest


def is_htmx_partial(request: HttpRequest) -> bool:
    """Whether htmx asks for a fragment: an `HX-Request`, but not a history restore after a cache miss,
    which must get the full page (or htmx would swap a fragment in as the page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")
