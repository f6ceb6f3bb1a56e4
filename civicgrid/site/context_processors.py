from django.utils.functional import SimpleLazyObject

from civicgrid.accounts.presenters import words_for
from civicgrid.site.navigation import nav_items, tab_items


def navigation(request):
    """Put the user's navigation, the phone's tab bar and the words they read into every page.

    The tab bar is taken from the navigation built here, so its badges cost no second count; it is
    built when a page draws it (an htmx fragment never does, and pays nothing for it).
    """
    user = getattr(request, "user", None)
    if user is None:
        return {}
    items = nav_items(user)
    return {
        "nav_items": items,
        "tab_items": SimpleLazyObject(lambda: tab_items(user, items)),
        "words": words_for(user),
    }
