"""Browser-test fixtures over `harness`: one app server and one headless Chromium per
session, and a fresh tab per test whose screenshot lands in tests/artifacts/.

Without a Chromium binary the browser tests are skipped with a reason, unless
``CVAE_REQUIRE_E2E=1`` (set by ``.ci/run``) turns that into a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from harness.browser import (
    VIEWPORT,
    launch_chromium,
    open_app,
    require_chromium,
    save_screenshot,
)
from harness.latent_map import TEST_FLAG
from harness.paths import ARTIFACTS
from harness.server import running_app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Base URL of one app server shared by the browser tests, once it says it is ready
    (its models warm: the first test does not race the warm-up for the CPU)."""
    require_chromium()
    with running_app(ready=True) as (base, _):
        yield base


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    with launch_chromium() as b:
        yield b


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def artifact_name(request: pytest.FixtureRequest, suffix: str = "") -> str:
    """A file-system-safe screenshot name for the running test."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + suffix


@pytest.fixture
def page(browser, request):
    """A fresh browser tab. Its screenshot lands in tests/artifacts/<test>.png when the test
    ends (``FAILED-<test>.png`` when it failed)."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    yield pg
    rep = getattr(request.node, "rep_call", None)
    name = artifact_name(request)
    for stale in (name, f"FAILED-{name}"):  # from an earlier run
        (ARTIFACTS / f"{stale}.png").unlink(missing_ok=True)
    save_screenshot(pg, f"FAILED-{name}" if rep is not None and rep.failed else name)
    context.close()


@pytest.fixture
def new_page(browser, request):
    """Factory for more tabs, each in its own fresh browser context (no cookies, no session),
    as when a shared link is opened elsewhere; screenshotted and closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        return context.new_page()

    yield make
    for i, context in enumerate(contexts, start=1):
        for pg in context.pages:
            save_screenshot(pg, artifact_name(request, f"-tab{i}"))
        context.close()


@pytest.fixture
def map_page(browser, server):
    """A tab on the map (tutorial-2d at the origin) with the map's test log on."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.add_init_script(TEST_FLAG)
    open_app(page, server, "model=tutorial-2d&z1=0&z2=0")
    yield page
    context.close()
