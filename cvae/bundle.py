"""Bundle folders: ``model.weights.h5`` + ``config.json`` + ``metrics.json`` + ``progress.npz``.

No pickles and no serialized code: weights are Keras ``.weights.h5``, everything else JSON or
a pickle-free ``.npz``. ``config.json`` lists a SHA-256 for each other file, so a truncated,
swapped or hand-edited file is caught on load. Saving writes a sibling temporary folder and
swaps it in, so an interrupted save never leaves a half-written bundle where a good one was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = "model.weights.h5"
CONFIG = "config.json"
METRICS = "metrics.json"
PROGRESS = "progress.npz"
FORMAT_VERSION = 1
CHECKSUMMED = (WEIGHTS, METRICS, PROGRESS)


class BundleError(RuntimeError):
    """A bundle folder is missing, incomplete, corrupt or does not fit its recipe."""

    def __init__(self, bundle: str | os.PathLike[str], problem: str) -> None:
        self.bundle = str(bundle)
        self.problem = problem
        super().__init__(f"bundle {self.bundle}: {problem}")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(bundle: Path, name: str) -> dict[str, Any]:
    """A JSON object from a bundle file, or `BundleError`."""
    path = bundle / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(bundle, f"{name} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(bundle, f"{name} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BundleError(bundle, f"{name} must hold a JSON object")
    return data


def verify_files(bundle: Path, config: dict[str, Any]) -> None:
    """Check every checksummed file exists and matches ``config['files']``."""
    files = config.get("files")
    if not isinstance(files, dict):
        raise BundleError(bundle, f"{CONFIG} has no 'files' checksums")
    for name in CHECKSUMMED:
        path = bundle / name
        if not path.is_file():
            raise BundleError(bundle, f"{name} is missing")
        if files.get(name) != sha256(path):
            raise BundleError(bundle, f"{name} does not match its checksum in {CONFIG} "
                                      "(truncated, corrupted or replaced)")


def read_progress(bundle: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The per-epoch sample grids saved during training (pickle-free ``.npz``)."""
    bundle = Path(bundle)
    try:
        with np.load(bundle / PROGRESS, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise BundleError(bundle, f"{PROGRESS} is missing") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise BundleError(bundle, f"{PROGRESS} is unreadable ({exc})") from None


def _dump_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def write_bundle(out: str | os.PathLike[str], save_weights: Any, config: dict[str, Any],
                 metrics: dict[str, Any], progress: dict[str, np.ndarray]) -> Path:
    """Write a complete bundle to ``out`` atomically.

    ``save_weights`` is called with the weights path to write (e.g. ``vae.save_weights``).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _staged(out) as tmp:
        save_weights(str(tmp / WEIGHTS))
        np.savez_compressed(tmp / PROGRESS, **progress)
        _dump_json(tmp / METRICS, metrics)
        config = {**config, "format": FORMAT_VERSION,
                  "files": {name: sha256(tmp / name) for name in CHECKSUMMED}}
        _dump_json(tmp / CONFIG, config)
    return out


@contextmanager
def _staged(out: Path) -> Iterator[Path]:
    """A fresh folder beside ``out`` to write a bundle into; when the block ends without an
    error it replaces ``out`` (if any) whole, else it is removed."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a bundle is ordinary repo content
        yield tmp
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace the folder ``out`` (if any) by ``tmp``."""
    old = out.with_name(f".{out.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def update_metrics(path: str | os.PathLike[str], changes: dict[str, Any]) -> dict[str, Any]:
    """Add or replace measured figures in a bundle's ``metrics.json`` (e.g. one a newer
    evaluation computes) and re-checksum it in ``config.json``, atomically: the bundle is
    verified first and swapped in whole. Returns the new metrics."""
    bundle = Path(path)
    config = read_json(bundle, CONFIG)
    verify_files(bundle, config)
    metrics = {**read_json(bundle, METRICS), **changes}
    with _staged(bundle) as tmp:
        for item in bundle.iterdir():
            if item.is_file():
                shutil.copy2(item, tmp / item.name)
        _dump_json(tmp / METRICS, metrics)
        config = {**config, "files": {**config["files"], METRICS: sha256(tmp / METRICS)}}
        _dump_json(tmp / CONFIG, config)
    return metrics


def load(path: str | os.PathLike[str]) -> Any:
    """Load a bundle folder into a `cvae.model.VAE` with ``.config`` and ``.metrics``.

    Raises `BundleError` naming the bundle and the problem when a file is missing,
    corrupt, tampered with, or when the weights do not fit the recorded recipe.
    """
    from cvae.model import VAE
    from cvae.recipes import Recipe

    bundle = Path(path)
    if not bundle.is_dir():
        raise BundleError(bundle, "no such bundle folder")
    config = read_json(bundle, CONFIG)
    try:
        recipe = Recipe.from_json(config["recipe"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(bundle, f"{CONFIG} does not describe a valid recipe ({exc})") from None
    verify_files(bundle, config)
    metrics = read_json(bundle, METRICS)
    try:
        vae = VAE(recipe, config=config, metrics=metrics)
    except Exception as exc:
        raise BundleError(bundle, f"recipe {recipe.name!r} cannot be built ({exc})") from None
    try:
        vae.load_weights(str(bundle / WEIGHTS))
    except Exception as exc:
        raise BundleError(bundle, f"{WEIGHTS} does not fit recipe {recipe.name!r} "
                                  f"({type(exc).__name__}: {exc})") from None
    return vae
