"""The JavaScript unit tests (``tests/js/*.test.mjs``: the map's geometry, zoom, state,
input handling and live-channel transport) under ``node --test``, so the one test command
covers them. Skipped without ``node``; ``.ci/run`` also runs them, and ESLint, as steps of
their own."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from harness.paths import ROOT

JS_TESTS = ROOT / "tests" / "js"


def test_the_javascript_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs)")
    files = sorted(str(p) for p in JS_TESTS.glob("*.test.mjs"))
    assert files, "no JavaScript tests found"
    done = subprocess.run([node, "--test", *files], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
