"""What the model card shows, read once from a bundle's ``config.json`` and ``metrics.json``
into typed objects (the page never digs through raw dicts)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def _float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


@dataclass(frozen=True)
class Metrics:
    """Measured figures in nats per digit (NaN when a bundle predates a figure)."""

    test_elbo: float
    test_iwae: float
    iwae_k: int | None
    iwae_n: int | None
    iwae_se: float             # data standard error of the IWAE mean
    bound_on: str
    marginal_iwae: float       # log p(x) for a class-mean-prior model
    label_worth: float         # log p(x | y) - log p(x), nats
    fidelity: float            # share of class-c grids and samples the judge calls c
    best_epoch: int | None
    val_elbo: float
    train_seconds: float
    active_units: int | None   # latent dimensions with Cov_x(E_q[z_u | x]) > 0.01

    @classmethod
    def from_json(cls, m: dict[str, Any]) -> Metrics:
        fid = m.get("class_fidelity") or {}
        return cls(
            test_elbo=_float(m.get("test_elbo")), test_iwae=_float(m.get("test_iwae")),
            iwae_k=m.get("iwae_k"), iwae_n=m.get("iwae_n", m.get("n_test")),
            iwae_se=_float(m.get("iwae_data_se")),
            bound_on=str(m.get("bound_on", "log p(x)")),
            marginal_iwae=_float(m.get("test_iwae_marginal")),
            label_worth=_float(m.get("label_worth_nats")),
            fidelity=_float(fid.get("overall")), best_epoch=m.get("best_epoch"),
            val_elbo=_float(m.get("val_elbo")),
            train_seconds=_float(m.get("train_seconds_total",
                                       m.get("train_seconds_this_run"))),
            active_units=m.get("active_units"))


@dataclass(frozen=True)
class ModelInfo:
    """A bundle's recipe facts, training settings and metrics, as the page shows them."""

    name: str
    title: str
    source: str
    notes: str
    prior: str
    posterior: str
    reconstruction: str
    kl_weight: float
    label_to_decoder: bool
    epochs: Any
    batch_size: Any
    learning_rate: Any
    lr_schedule: str
    seed: Any
    device: str
    finished: str
    command: str
    validation_size: int | None
    published_elbo: float | None
    metrics: Metrics

    @property
    def posterior_text(self) -> str:
        return "full covariance" if self.posterior == "tril" else "diagonal"

    @property
    def finished_text(self) -> str:
        """When training finished, to the minute ("2026-11-23 15:13 UTC"). One colon only:
        Markdown text with ``:13:`` in it makes Streamlit's browser fetch its emoji
        short-code plugin (265 kB) for a time stamp."""
        try:
            when = datetime.strptime(self.finished, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return self.finished.replace(":", "\\:")
        return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

    @classmethod
    def from_bundle(cls, config: dict[str, Any], metrics: dict[str, Any]) -> ModelInfo:
        recipe, training = config.get("recipe", {}), config.get("training", {})
        published = (recipe.get("published") or {}).get("elbo")
        return cls(
            name=str(recipe.get("name", "?")), title=str(recipe.get("title", "?")),
            source=str(recipe.get("source", "")), notes=str(recipe.get("notes", "")),
            prior=str(recipe.get("prior", "standard")),
            posterior=str(recipe.get("posterior", "diag")),
            reconstruction=str(recipe.get("reconstruction", "bernoulli")),
            kl_weight=float(recipe.get("kl_weight", 1.0)),
            label_to_decoder=bool(recipe.get("label_to_decoder", False)),
            epochs=training.get("epochs", "–"), batch_size=training.get("batch_size"),
            learning_rate=training.get("learning_rate"),
            lr_schedule=str(training.get("lr_schedule", "constant")),
            seed=training.get("seed"), device=str(training.get("device", "?")),
            finished=str(training.get("finished", "?")),
            command=str(training.get("command", "")),
            validation_size=(training.get("validation") or {}).get("size"),
            published_elbo=float(published) if isinstance(published, int | float) else None,
            metrics=Metrics.from_json(metrics))
