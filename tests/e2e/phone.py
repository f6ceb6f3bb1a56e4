"""What the browser tests of the phone pages share: choosing a category as a person does."""

from __future__ import annotations


def choose_category(page, code: str) -> None:
    """Choose a category as a person does: its large icon when it has one, else "Other problems" and
    the full list."""
    tile = page.locator(f"[data-quick-code='{code}']")
    if tile.count():
        tile.click()
        return
    if (
        page.locator("[data-category-more]:not(.is-open)").count()
        and page.locator("[data-quick-more]").count()
    ):
        page.click("[data-quick-more]")
    page.select_option("#id_category", code)
