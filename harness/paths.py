"""Where things are: the repo root, the shipped weights and the test artifacts folder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "weights"
ARTIFACTS = ROOT / "tests" / "artifacts"  # git-ignored: server logs, screenshots
