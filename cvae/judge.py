"""A small MNIST classifier used only as a judge of what the models draw.

``python -m cvae.judge`` trains it once on the training split (grey levels in [0, 1],
with the same held-out validation digits as `cvae.train`), keeps the epoch with the best
validation accuracy, measures it on the test split and writes ``weights/judge/``:
``model.weights.h5`` plus ``judge.json`` (how it was made, its test accuracy and the
weights' SHA-256). `cvae.fidelity` asks it which digit a decoded image shows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from cvae.bundle import BundleError, sha256
from cvae.data import DataError, find_mnist, load_split

JUDGE_DIR = Path(__file__).resolve().parent.parent / "weights" / "judge"
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


def _grey(images: np.ndarray) -> np.ndarray:
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

        x = _grey(images)
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


def save_weights_only(net: Any, path: Path) -> Any:
    """Write ``net``'s weights to ``path`` without the optimizer's state (a compiled
    model's ``.weights.h5`` carries Adam's moments too: 3x the size); returns the
    uncompiled copy that was written."""
    plain = build()
    plain.set_weights(net.get_weights())
    plain.save_weights(str(path))
    return plain


def train(data_path: Path, out: Path, epochs: int, seed: int, val_size: int,
          command: str) -> dict[str, Any]:
    """Train the judge and write it to ``out``; returns its record."""
    import keras

    from cvae.data import load_test_split
    from cvae.train import split_validation

    keras.utils.set_random_seed(seed)
    fit, val = split_validation(load_split(data_path, "train"), val_size, seed)
    net = build()
    steps = epochs * -(-len(fit) // 128)
    net.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(
        2e-3, steps)), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"])
    out.mkdir(parents=True, exist_ok=True)
    best = out / WEIGHTS
    started = time.time()
    history = net.fit(
        _grey(fit.images), fit.labels.astype("int32"), batch_size=128, epochs=epochs,
        validation_data=(_grey(val.images), val.labels.astype("int32")),
        verbose=2, callbacks=[keras.callbacks.ModelCheckpoint(
            str(best), monitor="val_accuracy", mode="max", save_best_only=True,
            save_weights_only=True)])
    seconds = time.time() - started
    net.load_weights(str(best))
    net = save_weights_only(net, best)
    test = load_test_split(data_path)
    judge = Judge(net, {})
    accuracy = float(np.mean(judge.predict(test.images) == test.labels))
    val_acc = history.history["val_accuracy"]
    meta = {
        "what": "MNIST classifier used as a judge of decoded digits (never shown as a model)",
        "layers": [list(layer) for layer in LAYERS],
        "params": int(net.count_params()),
        "epochs": epochs, "batch_size": 128, "seed": seed,
        "validation": {"size": len(val), "seed": seed},
        "best_epoch": int(np.argmax(val_acc)) + 1, "val_accuracy": float(max(val_acc)),
        "test_accuracy": accuracy, "n_test": len(test),
        "train_seconds": round(seconds, 1), "command": command,
        "sha256": sha256(best),
    }
    (out / META).write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def main(argv: list[str] | None = None) -> int:
    from cvae.train import VAL_SIZE, public_command

    parser = argparse.ArgumentParser(prog="python -m cvae.judge", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="Keras-format mnist.npz "
                        "(default $CVAE_MNIST, then ~/.keras/datasets/mnist.npz)")
    parser.add_argument("--out", type=Path, default=JUDGE_DIR)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--val-size", type=int, default=VAL_SIZE)
    args = parser.parse_args(argv)
    argv = argv if argv is not None else sys.argv[1:]
    try:
        meta = train(find_mnist(args.data), args.out, args.epochs, args.seed, args.val_size,
                     public_command(argv, "python -m cvae.judge"))
    except DataError as exc:
        print(f"cvae.judge: {exc}", file=sys.stderr)
        return 2
    print(f"judge: test accuracy {meta['test_accuracy']:.4f} on {meta['n_test']} digits, "
          f"{meta['params']} weights; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
