"""MNIST in the Keras ``mnist.npz`` format: finding it, checking it, binarizing it.

Training needs the full file. The app, the tests and ``cvae.cli.evaluate`` only need the 10k
test split, which ships inside the package (``cvae/assets/mnist-test.npz``).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cvae import settings

KERAS_CACHE = Path("~/.keras/datasets/mnist.npz").expanduser()
SHIPPED_TEST_SPLIT = Path(__file__).with_name("assets") / "mnist-test.npz"
VAL_SIZE = 5000  # digits held out of the 60k training split for validation (models and judge)

HOW_TO_GET_MNIST = (
    "Training needs the full MNIST file in Keras format (mnist.npz: x_train, y_train, "
    "x_test, y_test). Get it with one of:\n"
    "  * pass --data /path/to/mnist.npz, or set CVAE_MNIST=/path/to/mnist.npz;\n"
    f"  * put it at {KERAS_CACHE} (Keras' own cache);\n"
    "  * with internet access, run: python -c \"import keras; "
    "keras.datasets.mnist.load_data()\" to download it there.\n"
    "See README.md, section 'Data'."
)


class DataError(RuntimeError):
    """A data file is missing, unreadable or not MNIST-shaped."""


@dataclass(frozen=True)
class Split:
    """Images as uint8 ``[N, 28, 28]`` and labels as uint8 ``[N]``."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def split_validation(split: Split, size: int, seed: int) -> tuple[Split, Split]:
    """``(fit, validation)``: ``size`` digits drawn at random (``seed``) from ``split``."""
    if not 0 < size < len(split):
        raise DataError(f"--val-size must be between 1 and {len(split) - 1}, got {size}")
    order = np.random.default_rng(seed).permutation(len(split))
    fit, val = np.sort(order[size:]), np.sort(order[:size])
    return (Split(split.images[fit], split.labels[fit]),
            Split(split.images[val], split.labels[val]))


def binarize(images: np.ndarray) -> np.ndarray:
    """uint8 (or [0, 1] float) images -> float32 ``[N, 28, 28, 1]`` in {0, 1}.

    Threshold 0.5 on the [0, 1] scale, as in the TensorFlow tutorial.
    """
    images = np.asarray(images)
    scaled = images / 255.0 if images.dtype == np.uint8 else images
    return (scaled > 0.5).astype(np.float32).reshape(-1, 28, 28, 1)


def _read_npz(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in keys if k not in npz.files]
            if missing:
                raise DataError(f"{path}: not a Keras-format MNIST file (missing "
                                f"{', '.join(missing)}; found {', '.join(npz.files) or 'nothing'})")
            return {k: npz[k] for k in keys}
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: unreadable as .npz ({exc})") from None


def _check_split(path: Path, name: str, images: np.ndarray, labels: np.ndarray) -> Split:
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{path}: x_{name} has shape {images.shape}, expected (N, 28, 28)")
    if images.dtype != np.uint8:
        raise DataError(f"{path}: x_{name} is {images.dtype}, expected uint8")
    if labels.shape != (images.shape[0],):
        raise DataError(f"{path}: y_{name} has shape {labels.shape}, "
                        f"expected ({images.shape[0]},) to match x_{name}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{path}: y_{name} holds labels outside 0..9")
    return Split(images, labels.astype(np.uint8))


def load_split(path: str | os.PathLike[str], split: str) -> Split:
    """Read and check one split (``"train"`` or ``"test"``) of a Keras-format MNIST file."""
    path = Path(path)
    arrays = _read_npz(path, (f"x_{split}", f"y_{split}"))
    return _check_split(path, split, arrays[f"x_{split}"], arrays[f"y_{split}"])


def find_mnist(path: str | os.PathLike[str] | None = None, download: bool = True) -> Path:
    """The full MNIST file: ``path``, else ``$CVAE_MNIST``, else Keras' cache (downloading
    into it when allowed). Raises `DataError` saying exactly what to do when none works."""
    for candidate, origin in ((path, "--data"), (settings.text(settings.MNIST),
                                                 f"${settings.MNIST}")):
        if candidate:
            p = Path(candidate).expanduser()
            if not p.is_file():
                raise DataError(f"{origin} points to {p}, which does not exist.\n"
                                + HOW_TO_GET_MNIST)
            return p
    if KERAS_CACHE.is_file():
        return KERAS_CACHE
    if download:
        try:
            import keras

            keras.datasets.mnist.load_data()
            if KERAS_CACHE.is_file():
                return KERAS_CACHE
        except Exception as exc:
            raise DataError(f"MNIST is not available locally and the download failed "
                            f"({type(exc).__name__}).\n" + HOW_TO_GET_MNIST) from None
    raise DataError("MNIST is not available locally.\n" + HOW_TO_GET_MNIST)


def load_test_split(path: str | os.PathLike[str] | None = None) -> Split:
    """The 10k MNIST test split: from ``path`` if given, else the copy in the package."""
    return load_split(path if path is not None else SHIPPED_TEST_SPLIT, "test")
