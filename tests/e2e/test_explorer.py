"""The explorer in a real browser, as a person would use it."""

from __future__ import annotations

from tests.e2e.conftest import open_app


def test_default_page_renders_without_exceptions(server, page):
    open_app(page, server)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Decoded digit").is_visible()
