"""The allow-list of bundles the app may load: folders under ``weights/`` with a config.

Names from a URL or a widget are only ever looked up in this list, never joined onto a
path, so ``../../etc`` and friends cannot reach the file system.
"""

from __future__ import annotations

import re
from pathlib import Path

from cvae import settings
from cvae.recipes import DEFAULT_RECIPE

REPO_WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def weights_dir() -> Path:
    """``$CVAE_WEIGHTS`` if set (tests, deployments), else the repo's ``weights/``."""
    return settings.path(settings.WEIGHTS, REPO_WEIGHTS)


def bundle_names(root: Path | None = None) -> list[str]:
    """Bundle folder names under ``root`` (default ``weights/``), the default recipe first.

    A folder qualifies when its name is a plain slug and it holds a ``config.json``;
    whether the bundle is intact is checked when it is loaded.
    """
    root = weights_dir() if root is None else root
    if not root.is_dir():
        return []
    names = sorted(p.name for p in root.iterdir()
                   if p.is_dir() and NAME.match(p.name) and (p / "config.json").is_file())
    return sorted(names, key=lambda n: n != DEFAULT_RECIPE)


def bundle_path(name: str, root: Path | None = None) -> Path:
    """The folder of an allow-listed bundle; ``KeyError`` for anything else."""
    root = weights_dir() if root is None else root
    if name not in bundle_names(root):
        raise KeyError(f"unknown model {name!r}")
    return root / name
