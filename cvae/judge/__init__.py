"""A small MNIST classifier used only as a judge of what the models draw.

`load` reads ``weights/judge/`` (``model.weights.h5`` plus ``judge.json``: how it was made,
its test accuracy and the weights' SHA-256, checked on load); `cvae.fidelity` asks it which
digit a decoded image shows. `cvae.cli.judge` trains it (``python -m cvae.judge``, the
command recorded in ``judge.json``, runs that program through this package's ``__main__``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from cvae.bundle import BundleError, sha256

JUDGE_DIR = Path(__file__).resolve().parents[2] / "weights" / "judge"
WEIGHTS = "model.weights.h5"
META = "judge.json"
LAYERS = (
    ("RandomTranslation", {"height_factor": 0.08, "width_factor": 0.08}),
    ("Conv2D", {"filters": 32, "kernel_size": 3, "activation": "relu"}),
    ("Conv2D", {"filters": 32, "kernel_size": 3, "activation": "relu"}),
    ("MaxPooling2D", {}),
    ("Conv2D", {"filters": 64, "kernel_size": 3, "activation": "relu"}),
    ("Conv2D", {"filters": 64, "kernel_size": 3, "activation": "relu"}),
    ("MaxPooling2D", {}),
    ("Flatten", {}),
    ("Dropout", {"rate": 0.3}),
    ("Dense", {"units": 10}),
)


def build() -> Any:
    """The judge's network: four 3x3 convolutions and a linear read-out (~75k weights)."""
    from cvae.model import build_sequential

    return build_sequential(LAYERS, (28, 28, 1), "judge")


def grey(images: np.ndarray) -> np.ndarray:
    """The judge's input ``[N, 28, 28, 1]`` float32 in [0, 1] from uint8 or [0, 1] images."""
    x = np.asarray(images)
    x = x / 255.0 if x.dtype == np.uint8 else x
    return x.astype(np.float32).reshape(-1, 28, 28, 1)


class Judge:
    """A trained judge: ``predict(images)`` gives the digit each image shows."""

    def __init__(self, net: Any, meta: dict[str, Any]) -> None:
        import tensorflow as tf

        self.net = net
        self.meta = meta
        self._logits = tf.function(lambda x: net(x, training=False),
                                   input_signature=[tf.TensorSpec([None, 28, 28, 1],
                                                                  tf.float32)])

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities ``[N, 10]`` of uint8 or [0, 1] images ``[N, 28, 28]``."""
        import tensorflow as tf

        x = grey(images)
        out = [tf.nn.softmax(self._logits(x[i:i + 1024])).numpy()
               for i in range(0, len(x), 1024)]
        return np.concatenate(out) if out else np.zeros((0, 10), np.float32)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """The likeliest digit ``[N]`` for each image."""
        return self.probabilities(images).argmax(axis=1)


def load(path: str | Path = JUDGE_DIR) -> Judge:
    """The judge in ``path``; `BundleError` when it is missing or does not match its record."""
    path = Path(path)
    try:
        meta = json.loads((path / META).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BundleError(path, f"{META} is missing or unreadable ({exc}); "
                                "train the judge with: python -m cvae.judge") from None
    if not (path / WEIGHTS).is_file() or sha256(path / WEIGHTS) != meta.get("sha256"):
        raise BundleError(path, f"{WEIGHTS} is missing or does not match its checksum")
    net = build()
    net.load_weights(str(path / WEIGHTS))
    return Judge(net, meta)
