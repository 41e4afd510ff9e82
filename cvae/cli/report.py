"""``python -m cvae.cli.report``: the README's model table, read from the shipped bundles.

Every figure comes from a bundle's ``metrics.json`` as its training run recorded it (and as
``tests/model/test_shipped_bundles.py`` re-derives it); nothing here is typed in by hand.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from cvae.catalog import bundle_names, weights_dir
from cvae.model_card import ModelInfo


def _nats(value: float, digits: int = 2) -> str:
    return "–" if math.isnan(value) else f"{value:.{digits}f}"


def model_row(info: ModelInfo) -> str:
    m = info.metrics
    prior = "N(μ_y, I), μ_y learned" if info.prior == "class-mean" else "N(0, I)"
    if info.label_to_decoder:
        prior += "; label to encoder and decoder"
    iwae = f"{_nats(m.test_iwae)} ± {m.iwae_se:.1f}" if math.isfinite(m.iwae_se) else \
        _nats(m.test_iwae)
    fidelity = "–" if math.isnan(m.fidelity) else f"{m.fidelity:.0%}"
    minutes = "–" if math.isnan(m.train_seconds) else f"{m.train_seconds / 60:.0f}"
    bound = m.bound_on.replace("|", "\\|")  # a bare | would split the table cell
    active = "–" if m.active_units is None else str(m.active_units)
    return (f"| `{info.name}` | {prior} / {info.posterior_text} | {bound} | {active} | "
            f"{_nats(m.test_elbo)} | "
            f"{iwae} | {_nats(m.marginal_iwae)} | {fidelity} | {m.best_epoch or '–'} / "
            f"{info.epochs}, batch {info.batch_size}, lr {info.learning_rate} "
            f"{info.lr_schedule} | {minutes} |")


HEADER = ("| bundle | prior / posterior | bounds | active units | test ELBO | IWAE k=1000 "
          "(first 1000 test digits, ± s.e.) | log p(x) | class fidelity | best epoch / "
          "epochs, settings | train min |\n|---|---|---|---|---|---|---|---|---|---|")


def model_table(root: Path | None = None) -> str:
    """The markdown table of every bundle under ``root`` (default ``weights/``)."""
    root = weights_dir() if root is None else root
    rows = []
    for name in bundle_names(root):
        folder = root / name
        config = json.loads((folder / "config.json").read_text())
        metrics = json.loads((folder / "metrics.json").read_text())
        rows.append(model_row(ModelInfo.from_bundle(config, metrics)))
    return "\n".join([HEADER, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cvae.cli.report", description=__doc__)
    parser.add_argument("--weights", type=Path, help="bundle folder root (default weights/)")
    args = parser.parse_args(argv)
    print(model_table(args.weights))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
