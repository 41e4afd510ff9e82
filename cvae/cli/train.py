"""``python -m cvae.train --recipe NAME``: train a recipe and write its bundle.

(``python -m cvae.cli.train`` runs the same program; ``cvae.train`` is the command the
bundles record.)

Safe to interrupt: state is kept per epoch in ``<out's folder>/.<name>.training/`` and the
same command resumes from the last finished epoch. The bundle at ``--out`` is only
replaced, atomically, once training and the final evaluation have both finished.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from cvae.cli import public_command
from cvae.data import VAL_SIZE, DataError, find_mnist, load_split, split_validation
from cvae.recipes import RECIPES, Recipe, get_recipe

IW_N = 1000  # test digits of the IWAE figure (k=1000 costs ~3 min per 1000 on 2 CPU cores)


def _versions() -> dict[str, str]:
    import keras
    import tensorflow as tf
    import tensorflow_probability as tfp

    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "tensorflow_probability": tfp.__version__,
            "numpy": np.__version__}


def _device() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"{len(gpus)} GPU(s)" if gpus else f"CPU ({platform.processor() or platform.machine()})"


def state_dir_for(out: Path) -> Path:
    """Where an unfinished run of ``out`` keeps its resumable state."""
    return out.parent / f".{out.name}.training"


def _check_state(state: Path, settings: dict[str, Any], fresh: bool) -> None:
    marker = state / "settings.json"
    settings = json.loads(json.dumps(settings))  # compare as JSON sees it (tuples -> lists)
    if fresh and state.exists():
        shutil.rmtree(state)
    if marker.is_file():
        previous = json.loads(marker.read_text())
        if previous != settings:
            raise SystemExit(
                f"cvae.train: {state} holds an unfinished run with different settings.\n"
                f"  before: {json.dumps(previous, sort_keys=True)}\n"
                f"  now:    {json.dumps(settings, sort_keys=True)}\n"
                "Rerun with the same settings to resume it, or add --fresh to discard it.")
        print(f"Resuming the unfinished run kept in {state}", flush=True)
    state.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(settings, sort_keys=True))


def learning_rate(recipe: Recipe, n_train: int) -> Any:
    """The recipe's Adam learning rate: a constant, or cosine-decayed to 0 over the run."""
    import keras

    if recipe.lr_schedule == "cosine":
        steps = recipe.epochs * -(-n_train // recipe.batch_size)
        return keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps)
    return recipe.learning_rate


def train(recipe: Recipe, data_path: Path, out: Path, seed: int = 0, iw_k: int = 1000,
          iw_n: int = IW_N, val_size: int = VAL_SIZE, fresh: bool = False, jit: bool = False,
          steps_per_execution: int = 16, command: str = "") -> Path:
    """Train ``recipe`` on the MNIST file at ``data_path`` and write the bundle ``out``."""
    import keras

    from cvae import bounds, bundle
    from cvae.data import binarize
    from cvae.fitting import ProgressRecorder, Trainer
    from cvae.model import VAE

    fit_split, val_split = split_validation(load_split(data_path, "train"), val_size, seed)
    settings = {"recipe": recipe.to_json(), "seed": seed, "val_size": val_size,
                "data_sha256": bundle.sha256(data_path)}
    state = state_dir_for(out)
    _check_state(state, settings, fresh)

    keras.utils.set_random_seed(seed)
    vae = VAE(recipe)
    trainer = Trainer(vae, seed=seed)
    trainer.compile(optimizer=keras.optimizers.Adam(learning_rate(recipe, len(fit_split))),
                    jit_compile=jit, steps_per_execution=steps_per_execution)
    recorder = ProgressRecorder(vae, state)
    started = time.time()
    trainer.fit(
        binarize(fit_split.images), fit_split.labels.astype("int32"),
        batch_size=recipe.batch_size, epochs=recipe.epochs, shuffle=True,
        validation_data=(binarize(val_split.images), val_split.labels.astype("int32")),
        validation_batch_size=500, verbose=1 if sys.stdout.isatty() else 2,
        callbacks=[keras.callbacks.BackupAndRestore(str(state / "backup"),
                                                    delete_checkpoint=False), recorder],
    )
    train_seconds = time.time() - started

    best = recorder.best_epoch
    vae.load_weights(str(recorder.best_weights))
    # The test split is read here, once, after the epoch has been chosen on validation.
    test_split = load_split(data_path, "test")
    print(f"Best validation ELBO at epoch {best}/{recipe.epochs}. Evaluating it on the "
          f"{len(test_split)} test digits (IWAE k={iw_k} on the first {iw_n}) ...", flush=True)
    metrics = bounds.evaluate(vae, test_split, iw_k=iw_k, seed=seed, iw_n=iw_n,
                              progress=bounds.keras_progress())
    try:
        from cvae import fidelity

        metrics["class_fidelity"] = fidelity.measure(vae)
    except bundle.BundleError as exc:  # no judge trained yet: say so, keep the bundle
        print(f"cvae.train: class fidelity not measured ({exc})", flush=True)
    metrics["best_epoch"] = best
    metrics["val_elbo"] = recorder.history[best - 1]["val_elbo"]
    metrics["history"] = recorder.history
    metrics["train_seconds_this_run"] = round(train_seconds, 1)
    metrics["train_seconds_total"] = round(recorder.seconds_total(), 1)
    config = {
        "recipe": recipe.to_json(),
        "training": {
            "seed": seed, "epochs": recipe.epochs, "batch_size": recipe.batch_size,
            "learning_rate": recipe.learning_rate, "lr_schedule": recipe.lr_schedule,
            "kl_weight": recipe.kl_weight,
            "data_file": data_path.name, "data_sha256": settings["data_sha256"],
            "n_train": len(fit_split), "validation": {
                "size": len(val_split), "seed": seed,
                "rule": "random digits of the 60k training split, held out from fitting; "
                        "drive per-epoch monitoring and the choice of the best epoch"},
            "best_epoch": best, "command": command,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "device": _device(),
            "versions": _versions(),
        },
    }
    path = bundle.write_bundle(out, vae.save_weights, config, metrics,
                               recorder.progress_arrays())
    shutil.rmtree(state, ignore_errors=True)
    print(json.dumps({k: v for k, v in metrics.items() if k != "history"}, indent=2))
    print(f"Wrote {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cvae.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", required=True, choices=sorted(RECIPES))
    parser.add_argument("--epochs", type=int, help="override the recipe's epoch count")
    parser.add_argument("--batch-size", type=int, help="override the recipe's batch size")
    parser.add_argument("--learning-rate", type=float, help="override the recipe's Adam rate")
    parser.add_argument("--lr-schedule", choices=("constant", "cosine"),
                        help="override the recipe's learning-rate schedule")
    parser.add_argument("--kl-weight", type=float, help="beta of a beta-VAE (default 1)")
    parser.add_argument("--out", type=Path, help="bundle folder (default weights/RECIPE)")
    parser.add_argument("--data", type=Path, help="Keras-format mnist.npz "
                        "(default $CVAE_MNIST, then ~/.keras/datasets/mnist.npz)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the weights, the sampling and the validation split")
    parser.add_argument("--val-size", type=int, default=VAL_SIZE,
                        help=f"training digits held out for validation (default {VAL_SIZE})")
    parser.add_argument("--iw", type=int, default=1000, metavar="K",
                        help="IWAE samples for the final evaluation (0 skips it)")
    parser.add_argument("--iw-n", type=int, default=IW_N, metavar="N",
                        help=f"first N test digits for the IWAE bound (default {IW_N})")
    parser.add_argument("--fresh", action="store_true",
                        help="discard an unfinished run instead of resuming it")
    parser.add_argument("--jit", action="store_true",
                        help="XLA-compile the train step (measured slower for the conv "
                             "recipes on CPU; see benchmarks/)")
    parser.add_argument("--steps-per-execution", type=int, default=16,
                        help="train steps per compiled call (amortises Python overhead)")
    args = parser.parse_args(argv)

    overrides = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size),
                                   ("learning_rate", args.learning_rate),
                                   ("lr_schedule", args.lr_schedule),
                                   ("kl_weight", args.kl_weight)) if v is not None}
    recipe = get_recipe(args.recipe).with_overrides(**overrides)
    out = args.out or Path("weights") / args.recipe
    command = public_command(argv if argv is not None else sys.argv[1:])
    try:
        data_path = find_mnist(args.data)
        train(recipe, data_path, out, seed=args.seed, iw_k=args.iw, iw_n=args.iw_n,
              val_size=args.val_size,
              fresh=args.fresh,
              jit=args.jit,
              steps_per_execution=args.steps_per_execution, command=command)
    except DataError as exc:
        print(f"cvae.train: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ncvae.train: interrupted. {out} is unchanged; rerun the same command to "
              f"resume from the last finished epoch (state in {state_dir_for(out)}).",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
