"""The judge that measures class fidelity: accurate on the shipped test split."""

from __future__ import annotations

import json

import numpy as np


def test_judge_accuracy_on_the_shipped_test_split(test_split):
    from cvae import judge

    model = judge.load()
    accuracy = float(np.mean(model.predict(test_split.images) == test_split.labels))
    recorded = json.loads((judge.JUDGE_DIR / judge.META).read_text())["test_accuracy"]
    assert accuracy >= 0.99
    assert abs(accuracy - recorded) < 1e-3
    assert (judge.JUDGE_DIR / judge.WEIGHTS).stat().st_size < 500_000
