"""Finding, checking and binarizing MNIST; the shipped test split."""

from __future__ import annotations

import numpy as np
import pytest

from cvae import data, settings


def test_shipped_test_split_is_mnist_test(test_split):
    assert test_split.images.shape == (10000, 28, 28)
    assert test_split.images.dtype == np.uint8
    assert np.bincount(test_split.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958,
                                                      1028, 974, 1009]


def test_binarize_uses_threshold_one_half():
    x = np.array([[0, 127, 128, 255] + [0] * 780], np.uint8).reshape(1, 28, 28)
    b = data.binarize(x)
    assert b.shape == (1, 28, 28, 1) and b.dtype == np.float32
    assert b.reshape(-1)[:4].tolist() == [0.0, 0.0, 1.0, 1.0]


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("arrays, fragment", [
    ({"x_test": np.zeros((3, 28, 28), np.uint8)}, "missing y_test"),
    ({"x_test": np.zeros((3, 28, 27), np.uint8), "y_test": np.zeros(3, np.uint8)}, "shape"),
    ({"x_test": np.zeros((3, 28, 28), np.float32), "y_test": np.zeros(3, np.uint8)}, "uint8"),
    ({"x_test": np.zeros((3, 28, 28), np.uint8), "y_test": np.zeros(2, np.uint8)}, "match"),
    ({"x_test": np.zeros((3, 28, 28), np.uint8), "y_test": np.full(3, 11)}, "outside 0..9"),
])
def test_bad_data_files_give_clear_errors(tmp_path, arrays, fragment):
    path = _npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(data.DataError, match=fragment):
        data.load_split(path, "test")


def test_garbage_file(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(data.DataError, match="unreadable"):
        data.load_split(path, "train")


def test_find_mnist_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "KERAS_CACHE", tmp_path / "absent.npz")
    monkeypatch.delenv(settings.MNIST, raising=False)
    with pytest.raises(data.DataError) as info:
        data.find_mnist(None, download=False)
    assert "--data" in str(info.value) and "CVAE_MNIST" in str(info.value)
    with pytest.raises(data.DataError, match="does not exist"):
        data.find_mnist(tmp_path / "nope.npz")
    monkeypatch.setenv(settings.MNIST, str(tmp_path / "env.npz"))
    with pytest.raises(data.DataError, match=r"\$CVAE_MNIST"):
        data.find_mnist(None, download=False)


def test_find_mnist_prefers_flag_then_env(tmp_path, monkeypatch):
    flag = _npz(tmp_path / "flag.npz", a=np.zeros(1))
    env = _npz(tmp_path / "env.npz", a=np.zeros(1))
    monkeypatch.setenv(settings.MNIST, str(env))
    assert data.find_mnist(flag) == flag
    assert data.find_mnist(None) == env
