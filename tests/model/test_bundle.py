"""Bundles round-trip bit-exactly; every kind of damage raises one clear BundleError."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

import cvae
from cvae import bundle
from cvae.fitting import Trainer
from cvae.model import VAE
from cvae.recipes import get_recipe


def _trained_vae(name: str) -> VAE:
    keras.utils.set_random_seed(1)
    vae = VAE(get_recipe(name))
    trainer = Trainer(vae, seed=1)
    trainer.compile(optimizer=keras.optimizers.Adam(1e-2))
    rng = np.random.default_rng(1)
    x = (rng.random((16, 28, 28, 1)) < 0.3).astype(np.float32)
    trainer.fit(x, np.arange(16) % 10, batch_size=8, epochs=1, verbose=0)
    return vae


def _write(vae: VAE, out: Path) -> Path:
    progress = {"epochs": np.arange(2, dtype=np.int32),
                "samples": np.zeros((2, 16, 28, 28), np.uint8)}
    return bundle.write_bundle(out, vae.save_weights, {"recipe": vae.recipe.to_json()},
                               {"test_elbo": -123.0}, progress)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[VAE, Path]:
    vae = _trained_vae("class-prior-2d")
    return vae, _write(vae, tmp_path_factory.mktemp("b") / "class-prior-2d")


@pytest.fixture
def copy(saved, tmp_path) -> Path:
    dst = tmp_path / "damaged"
    shutil.copytree(saved[1], dst)
    return dst


def test_save_load_round_trips_bit_exactly(saved):
    vae, path = saved
    loaded = cvae.load(path)
    for a, b in zip(vae.get_weights(), loaded.get_weights(), strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    z = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    assert np.array_equal(vae.likelihood(z).mean().numpy(), loaded.likelihood(z).mean().numpy())
    assert loaded.config["recipe"]["name"] == "class-prior-2d"
    assert loaded.metrics == {"test_elbo": -123.0}


def test_saving_again_replaces_the_bundle_atomically(saved, tmp_path):
    vae, _ = saved
    out = _write(vae, tmp_path / "b")
    _write(vae, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # no temp or .old left


def test_failed_save_keeps_the_previous_bundle(saved, tmp_path):
    vae, _ = saved
    out = _write(vae, tmp_path / "b")
    before = (out / bundle.WEIGHTS).read_bytes()

    def crash(path: str) -> None:
        Path(path).write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bundle.write_bundle(out, crash, {"recipe": vae.recipe.to_json()}, {}, {})
    assert (out / bundle.WEIGHTS).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]
    cvae.load(out)


def _expect(path: Path, *fragments: str) -> None:
    with pytest.raises(cvae.BundleError) as info:
        cvae.load(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_missing_folder(tmp_path):
    _expect(tmp_path / "nope", "no such bundle folder")


@pytest.mark.parametrize("name", [bundle.WEIGHTS, bundle.CONFIG, bundle.METRICS,
                                  bundle.PROGRESS])
def test_missing_file(copy, name):
    (copy / name).unlink()
    _expect(copy, name, "missing")


def test_truncated_weights(copy):
    w = copy / bundle.WEIGHTS
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])
    _expect(copy, bundle.WEIGHTS, "checksum")


def test_corrupt_config(copy):
    (copy / bundle.CONFIG).write_text("{not json")
    _expect(copy, bundle.CONFIG, "not valid JSON")


def test_config_without_a_recipe(copy):
    (copy / bundle.CONFIG).write_text(json.dumps({"files": {}}))
    _expect(copy, "does not describe a valid recipe")


def test_hand_edited_metrics_are_caught(copy):
    m = json.loads((copy / bundle.METRICS).read_text())
    m["test_elbo"] = -80.0
    (copy / bundle.METRICS).write_text(json.dumps(m))
    _expect(copy, bundle.METRICS, "checksum")


def test_weights_from_another_recipe(copy, tmp_path):
    other = _write(VAE(get_recipe("tutorial-2d")), tmp_path / "other")
    shutil.copy(other / bundle.WEIGHTS, copy / bundle.WEIGHTS)
    config = json.loads((copy / bundle.CONFIG).read_text())
    config["files"][bundle.WEIGHTS] = bundle.sha256(copy / bundle.WEIGHTS)  # defeat checksum
    (copy / bundle.CONFIG).write_text(json.dumps(config))
    _expect(copy, "does not fit recipe 'class-prior-2d'")


def test_progress_is_pickle_free(saved):
    arrays = bundle.read_progress(saved[1])
    assert arrays["samples"].dtype == np.uint8
