"""``python -m cvae.judge``: train the class-fidelity judge and write ``weights/judge/``.

Trains `cvae.judge`'s classifier once on the training split (grey levels in [0, 1], with
the same held-out validation digits as ``python -m cvae.train``), keeps the epoch with the
best validation accuracy, measures it on the test split and writes ``model.weights.h5`` plus
``judge.json`` (how it was made, its test accuracy and the weights' SHA-256).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from cvae.bundle import sha256
from cvae.cli import public_command
from cvae.data import VAL_SIZE, DataError, find_mnist, load_split, load_test_split, split_validation
from cvae.judge import JUDGE_DIR, LAYERS, META, WEIGHTS, Judge, build, grey


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
        grey(fit.images), fit.labels.astype("int32"), batch_size=128, epochs=epochs,
        validation_data=(grey(val.images), val.labels.astype("int32")),
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
