"""Every environment variable the app reads (``CVAE_*``), in one table, with one parser per
kind: a switch takes 1/true/yes or 0/false/no (any case; unset or empty: its default), a
number must be positive, anything else is a `SettingError` naming the variable and what it
got. Read when asked (not at import), so a test or a process sets them before use.
The README's settings table is `SETTINGS`, row for row."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

WEIGHTS = "CVAE_WEIGHTS"
MNIST = "CVAE_MNIST"
WARM = "CVAE_WARM"
WARM_MODELS = "CVAE_WARM_MODELS"
BATCHING = "CVAE_BATCHING"
OP_THREADS = "CVAE_OP_THREADS"
NO_COMPONENTS = "CVAE_NO_COMPONENTS"
NO_WORKAROUNDS = "CVAE_NO_WORKAROUNDS"
STATIC_CACHE = "CVAE_STATIC_CACHE"
TRUSTED_PROXIES = "CVAE_TRUSTED_PROXIES"
LIVE_SOCKETS_PER_CLIENT = "CVAE_LIVE_SOCKETS_PER_CLIENT"
LIVE_DECODES_PER_CLIENT = "CVAE_LIVE_DECODES_PER_CLIENT"
LIVE_MESSAGES_PER_CLIENT = "CVAE_LIVE_MESSAGES_PER_CLIENT"

TRUE = ("1", "true", "yes")
FALSE = ("0", "false", "no")


@dataclass(frozen=True)
class Setting:
    """One variable: its default (as the README shows it) and what it changes."""

    name: str
    default: str
    meaning: str


SETTINGS = (
    Setting(WEIGHTS, "the repo's `weights/`", "the folder of model bundles the page offers"),
    Setting(MNIST, "`~/.keras/datasets/mnist.npz`",
            "the Keras-format MNIST file training reads (the app needs only the shipped "
            "test split)"),
    Setting(WARM, "1", "0: no background warm-up; `/cvae/ready` says ready at once"),
    Setting(WARM_MODELS, "all offered models",
            "comma-separated models the warm-up loads before `/cvae/ready` says ready"),
    Setting(BATCHING, "1", "0: each decode request runs on its own (no cross-session batching)"),
    Setting(OP_THREADS, "1", "threads per TensorFlow op in a server (0: TensorFlow's default)"),
    Setting(NO_COMPONENTS, "0",
            "1: no latent map or drawing component: the Plotly and image fallback"),
    Setting(NO_WORKAROUNDS, "0", "1: none of the Streamlit workarounds is applied"),
    Setting(STATIC_CACHE, "`$XDG_CACHE_HOME` or `~/.cache`, `cvae-explorer/static`",
            "where the compressed copy of Streamlit's static files is kept"),
    Setting(TRUSTED_PROXIES, "none",
            "comma-separated proxy addresses or networks whose `X-Forwarded-For` / "
            "`X-Real-IP` name the client"),
    Setting(LIVE_SOCKETS_PER_CLIENT, "16", "live sockets one client address may hold open"),
    Setting(LIVE_DECODES_PER_CLIENT, "60", "live decodes per second for one client address"),
    Setting(LIVE_MESSAGES_PER_CLIENT, "240",
            "live messages per second one client address may send"),
)


class SettingError(ValueError):
    """A variable set to a value its kind does not take."""


def text(name: str) -> str:
    """The variable's value, stripped ("" when unset)."""
    return os.environ.get(name, "").strip()


def switch(name: str, default: bool) -> bool:
    """A switch: 1/true/yes is on, 0/false/no off, unset or empty ``default``."""
    value = text(name).lower()
    if not value:
        return default
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise SettingError(f"{name} must be one of 1, true, yes, 0, false, no; got {text(name)!r}")


def number(name: str, default: float, kind: type = float) -> float:
    """A positive number (``kind``: int or float); unset or empty ``default``."""
    raw = text(name)
    if not raw:
        return kind(default)
    try:
        value = kind(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise SettingError(f"{name} must be a positive {kind.__name__}, got {raw!r}")
    return value


def count(name: str, default: int) -> int:
    """A whole number ≥ 0 (0 may mean "the library's default"); unset or empty ``default``."""
    raw = text(name)
    if not raw:
        return default
    if not raw.isdigit():
        raise SettingError(f"{name} must be a whole number >= 0, got {raw!r}")
    return int(raw)


def path(name: str, default: Path) -> Path:
    """A folder or file; unset or empty ``default``."""
    raw = text(name)
    return Path(raw).expanduser() if raw else default


def names(name: str) -> list[str]:
    """A comma-separated list (empty items dropped)."""
    return [item.strip() for item in text(name).split(",") if item.strip()]
