from civicgrid.site.navigation import nav_items


def navigation(request):
    """Put the user's navigation into every page (computed once, lazily)."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"nav_items": nav_items(user)}
