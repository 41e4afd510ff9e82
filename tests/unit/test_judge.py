"""The judge that measures class fidelity: a tampered judge is refused."""

from __future__ import annotations


def test_a_tampered_judge_is_refused(tmp_path):
    import shutil

    import pytest

    from cvae import judge
    from cvae.bundle import BundleError

    copy = tmp_path / "judge"
    shutil.copytree(judge.JUDGE_DIR, copy)
    weights = copy / judge.WEIGHTS
    data = bytearray(weights.read_bytes())
    data[-100:] = bytes(255 - b for b in data[-100:])  # flip the last 100 bytes
    weights.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="checksum"):
        judge.load(copy)
