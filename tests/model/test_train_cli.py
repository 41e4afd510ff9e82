"""The training CLI: clear data errors, and interruption never costs a good bundle."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import numpy as np
import pytest

import cvae
from cvae import bundle
from cvae.cli import train
from cvae.fitting import ProgressRecorder
from harness.paths import ROOT


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    """A Keras-format mnist.npz with 200 train and 100 test random 'digits'."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("data") / "mnist.npz"
    blob = lambda n: (rng.random((n, 28, 28)) < 0.15).astype(np.uint8) * 255  # noqa: E731
    np.savez(path, x_train=blob(200), y_train=rng.integers(0, 10, 200).astype(np.uint8),
             x_test=blob(100), y_test=rng.integers(0, 10, 100).astype(np.uint8))
    return path


def _args(data, out, epochs: int = 2) -> list[str]:
    return ["--recipe", "mlp-20d", "--epochs", str(epochs), "--batch-size", "50",
            "--data", str(data), "--out", str(out), "--iw", "5", "--val-size", "40"]


def test_bad_data_file_exits_with_a_clear_message(tmp_path, capsys):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"garbage")
    assert train.main(_args(bad, tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert "unreadable as .npz" in err and str(bad) in err
    assert not (tmp_path / "out").exists()


def test_missing_data_file_says_what_to_do(tmp_path, capsys):
    assert train.main(_args(tmp_path / "absent.npz", tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "mnist.npz" in err


def test_training_writes_a_complete_bundle(tiny_mnist, tmp_path):
    out = tmp_path / "mlp"
    assert train.main(_args(tiny_mnist, out)) == 0
    model = cvae.load(out)
    assert [row["epoch"] for row in model.metrics["history"]] == [1, 2]
    assert model.metrics["iwae_k"] == 5 and np.isfinite(model.metrics["test_elbo"])
    assert bundle.read_progress(out)["samples"].shape == (3, 16, 28, 28)  # epochs 0..2
    assert model.config["training"]["command"].startswith("python -m cvae.train --recipe")
    assert not train.state_dir_for(out).exists()


def test_interrupted_run_keeps_the_good_bundle_and_resumes(tiny_mnist, tmp_path,
                                                           monkeypatch, capsys):
    out = tmp_path / "mlp"
    assert train.main(_args(tiny_mnist, out, epochs=1)) == 0
    good = {name: (out / name).read_bytes() for name in (*bundle.CHECKSUMMED, bundle.CONFIG)}

    original = ProgressRecorder.on_epoch_end

    def interrupt_after_epoch_2(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(ProgressRecorder, "on_epoch_end", interrupt_after_epoch_2)
    assert train.main(_args(tiny_mnist, out, epochs=4)) == 130
    assert "rerun the same command to resume" in capsys.readouterr().err
    assert {name: (out / name).read_bytes() for name in good} == good  # untouched
    assert train.state_dir_for(out).is_dir()

    monkeypatch.setattr(ProgressRecorder, "on_epoch_end", original)
    assert train.main(_args(tiny_mnist, out, epochs=4)) == 0
    captured = capsys.readouterr()
    assert "Resuming the unfinished run" in captured.out
    assert "Epoch 3/4" in captured.out and "Epoch 1/4" not in captured.out
    history = json.loads((out / bundle.METRICS).read_text())["history"]
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]
    assert not train.state_dir_for(out).exists()


def test_resuming_with_other_settings_is_refused(tiny_mnist, tmp_path, monkeypatch):
    out = tmp_path / "mlp"
    state = train.state_dir_for(out)
    state.mkdir(parents=True)
    (state / "settings.json").write_text(json.dumps({"recipe": "something else"}))
    with pytest.raises(SystemExit, match="--fresh"):
        train.main(_args(tiny_mnist, out))
    assert train.main([*_args(tiny_mnist, out, epochs=1), "--fresh"]) == 0


def _recorded_commands() -> set[str]:
    records = [json.loads(p.read_text())["training"]
               for p in (ROOT / "weights").glob("*/config.json")]
    records.append(json.loads((ROOT / "weights" / "judge" / "judge.json").read_text()))
    return {" ".join(shlex.split(r["command"])[:3]) for r in records}


def test_the_commands_recorded_in_the_shipped_bundles_still_run():
    commands = _recorded_commands()
    assert commands == {"python -m cvae.train", "python -m cvae.judge"}
    for command in sorted(commands):
        module = command.split()[-1]
        proc = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(f"usage: {command} ")  # what new bundles record
