"""The model bundles committed under weights/."""

from __future__ import annotations

from pathlib import Path

from harness.paths import WEIGHTS


def shipped_bundles() -> list[Path]:
    """Every bundle folder committed under weights/ (one with a config.json)."""
    return sorted(p.parent for p in WEIGHTS.glob("*/config.json"))
