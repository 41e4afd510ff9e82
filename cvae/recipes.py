"""Declarative model recipes distilled from the five reference write-ups.

A recipe is plain data: layer specs as ``(keras_class_name, config)`` pairs plus the
probabilistic choices (prior, posterior, reconstruction term) and training defaults.
`cvae.model.VAE` is the one code path that turns any recipe into a model, and every
bundle stores its recipe in ``config.json`` so it can be rebuilt without this module.
"""

from __future__ import annotations

import dataclasses
from typing import Any

LayerSpec = tuple[str, dict[str, Any]]

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10

PRIORS = ("standard", "class-mean")
POSTERIORS = ("diag", "tril")
RECONSTRUCTIONS = ("bernoulli", "mse")
LR_SCHEDULES = ("constant", "cosine")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Everything needed to build and train one model, as JSON-compatible data."""

    name: str
    title: str
    source: str
    latent: int
    encoder: tuple[LayerSpec, ...]
    decoder: tuple[LayerSpec, ...]
    prior: str = "standard"
    posterior: str = "diag"
    reconstruction: str = "bernoulli"
    prior_net: tuple[LayerSpec, ...] = ()
    label_to_encoder: bool = False
    label_to_decoder: bool = False
    kl_weight: float = 1.0
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    published: dict[str, Any] = dataclasses.field(default_factory=dict)
    notes: str = ""

    def __post_init__(self) -> None:
        problems = []
        if self.latent < 1:
            problems.append(f"latent must be >= 1, got {self.latent}")
        if self.prior not in PRIORS:
            problems.append(f"prior must be one of {PRIORS}, got {self.prior!r}")
        if self.posterior not in POSTERIORS:
            problems.append(f"posterior must be one of {POSTERIORS}, got {self.posterior!r}")
        if self.reconstruction not in RECONSTRUCTIONS:
            problems.append(
                f"reconstruction must be one of {RECONSTRUCTIONS}, got {self.reconstruction!r}"
            )
        if self.lr_schedule not in LR_SCHEDULES:
            problems.append(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}")
        if (self.prior == "class-mean") != bool(self.prior_net):
            problems.append("prior_net is required exactly when prior is 'class-mean'")
        if problems:
            raise ValueError(f"recipe {self.name!r}: " + "; ".join(problems))

    @property
    def class_mean_prior(self) -> bool:
        """True when the prior depends on the digit label (learned class means)."""
        return self.prior == "class-mean"

    @property
    def uses_label(self) -> bool:
        """True when any part of the model (prior, encoder or decoder) sees the label."""
        return self.class_mean_prior or self.label_to_encoder or self.label_to_decoder

    @property
    def label_only_in_prior(self) -> bool:
        """True when the label enters through a class-mean prior alone (encoder and decoder
        never see it), so one decoder pass serves every label."""
        return self.class_mean_prior and not (self.label_to_encoder or self.label_to_decoder)

    @property
    def decoder_input(self) -> int:
        """Width of the decoder's input: the code, plus the one-hot label if it sees it."""
        return self.latent + (NUM_CLASSES if self.label_to_decoder else 0)

    @property
    def encoder_input(self) -> tuple[int, int, int]:
        """Shape of the encoder's input: the image, plus one constant channel per class
        holding the one-hot label when the encoder sees it."""
        return (*IMAGE_SHAPE[:2], IMAGE_SHAPE[2] + (NUM_CLASSES if self.label_to_encoder else 0))

    def to_json(self) -> dict[str, Any]:
        """The recipe as a JSON-serialisable dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recipe:
        """Inverse of `to_json`; unknown keys raise ``TypeError``."""
        data = dict(data)
        for key in ("encoder", "decoder", "prior_net"):
            data[key] = tuple((str(name), dict(cfg)) for name, cfg in data.get(key, ()))
        return cls(**data)

    def with_overrides(self, **changes: Any) -> Recipe:
        """A copy with some training settings changed (e.g. epochs, kl_weight)."""
        return dataclasses.replace(self, **changes)


# --- layer-spec helpers: they only produce data -------------------------------------------


def _conv(filters: int, kernel: int, strides: int = 1, padding: str = "same",
          activation: str | None = "relu", transpose: bool = False) -> LayerSpec:
    return ("Conv2DTranspose" if transpose else "Conv2D", {
        "filters": filters, "kernel_size": kernel, "strides": strides,
        "padding": padding, "activation": activation,
    })


def _dense(units: int, activation: str | None = None, **extra: Any) -> LayerSpec:
    return ("Dense", {"units": units, "activation": activation, **extra})


_FLATTEN: LayerSpec = ("Flatten", {})


def _reshape(shape: tuple[int, ...]) -> LayerSpec:
    return ("Reshape", {"target_shape": list(shape)})


def _tfp_conv_encoder(latent: int, base: int = 16, centre: bool = False) -> tuple[LayerSpec, ...]:
    """Five 5x5 convs (strides 1-2-1-2, leaky ReLU) ending in a 7x7 valid conv."""
    lrelu = "leaky_relu"
    layers: list[LayerSpec] = [("Rescaling", {"scale": 1.0, "offset": -0.5})] if centre else []
    layers += [
        _conv(base, 5, 1, activation=lrelu),
        _conv(base, 5, 2, activation=lrelu),
        _conv(2 * base, 5, 1, activation=lrelu),
        _conv(2 * base, 5, 2, activation=lrelu),
        _conv(4 * latent, 7, 1, padding="valid", activation=lrelu),
        _FLATTEN,
    ]
    return tuple(layers)


def _tfp_conv_decoder(latent: int, base: int = 16) -> tuple[LayerSpec, ...]:
    """Six transposed convs from a 1x1 code up to 28x28, then a 5x5 conv to logits."""
    lrelu = "leaky_relu"
    return (
        _reshape((1, 1, latent)),
        _conv(2 * base, 7, 1, padding="valid", activation=lrelu, transpose=True),
        _conv(2 * base, 5, 1, activation=lrelu, transpose=True),
        _conv(2 * base, 5, 2, activation=lrelu, transpose=True),
        _conv(base, 5, 1, activation=lrelu, transpose=True),
        _conv(base, 5, 2, activation=lrelu, transpose=True),
        _conv(base, 5, 1, activation=lrelu, transpose=True),
        _conv(1, 5, 1, activation=None),
    )


_TUTORIAL_ENCODER: tuple[LayerSpec, ...] = (
    _conv(32, 3, 2, padding="valid"),
    _conv(64, 3, 2, padding="valid"),
    _FLATTEN,
)

_TUTORIAL_DECODER: tuple[LayerSpec, ...] = (
    _dense(7 * 7 * 32, "relu"),
    _reshape((7, 7, 32)),
    _conv(64, 3, 2, transpose=True),
    _conv(32, 3, 2, transpose=True),
    _conv(1, 3, 1, activation=None, transpose=True),
)

_TF1_LRELU: LayerSpec = ("LeakyReLU", {"negative_slope": 0.3})
_TF1_DROPOUT: LayerSpec = ("Dropout", {"rate": 0.2})  # the blog's keep_prob = 0.8

_TF1_CONV_ENCODER: tuple[LayerSpec, ...] = (
    _conv(64, 4, 2, activation=None), _TF1_LRELU, _TF1_DROPOUT,
    _conv(64, 4, 2, activation=None), _TF1_LRELU, _TF1_DROPOUT,
    _conv(64, 4, 1, activation=None), _TF1_LRELU, _TF1_DROPOUT,
    _FLATTEN,
)

_TF1_CONV_DECODER: tuple[LayerSpec, ...] = (
    _dense(24), _TF1_LRELU,  # Python 2's 49 / 2 == 24 in the blog's code
    _dense(49), _TF1_LRELU,
    _reshape((7, 7, 1)),
    _conv(64, 4, 2, transpose=True), _TF1_DROPOUT,
    _conv(64, 4, 1, transpose=True), _TF1_DROPOUT,
    _conv(64, 4, 1, transpose=True),
    _FLATTEN,
    _dense(28 * 28),
    _reshape((28, 28, 1)),
)

_SMALL_INIT = {"kernel_initializer": {"class_name": "TruncatedNormal",
                                      "config": {"stddev": 0.001}}}

_MLP_ENCODER: tuple[LayerSpec, ...] = (_FLATTEN, _dense(400, "relu", **_SMALL_INIT))
_MLP_DECODER: tuple[LayerSpec, ...] = (
    _dense(400, "relu", **_SMALL_INIT),
    _dense(28 * 28, **_SMALL_INIT),
    _reshape((28, 28, 1)),
)

# Source credits as visitors read them on the model card (no internal reference tags).
TFP_BLOG = "TFP blog post: conditional VAE with a learned class-mean prior"
TUTORIAL = "TensorFlow tutorial 'Convolutional Variational Autoencoder'"
TFP_LAYERS_BLOG = "TensorFlow blog 'Variational Autoencoders with TFP Layers'"
TF1_BLOG = "TF1 VAE blog post on MNIST"
CVAE_PAPER = ("Sohn, Lee & Yan (2015), 'Learning Structured Output Representation using Deep "
              "Conditional Generative Models': the label given to encoder and decoder")

RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe(
        name="class-prior-2d",
        title="Conditional VAE, learned class-mean prior (2-D)",
        source=TFP_BLOG,
        latent=2,
        encoder=_tfp_conv_encoder(2),
        decoder=_tfp_conv_decoder(2),
        prior="class-mean",
        prior_net=(_dense(4), _dense(2)),
        posterior="tril",
        epochs=20, batch_size=64, learning_rate=1e-3, lr_schedule="cosine",
        published={"epochs": 15, "batch_size": 256, "note": "no figure published"},
        notes="p(z|y) = N(mu_y, I) with mu_y a learned linear map of the one-hot label; "
              "the decoder sees z only. Its ELBO and IWAE bound log p(x | y).",
    ),
    Recipe(
        name="cvae-style-2d",
        title="Conditional VAE, label to encoder and decoder (2-D style)",
        source=CVAE_PAPER + "; network of the TFP blog post's class-mean model",
        latent=2,
        encoder=_tfp_conv_encoder(2),
        decoder=_tfp_conv_decoder(2 + NUM_CLASSES),
        label_to_encoder=True,
        label_to_decoder=True,
        posterior="tril",
        epochs=30, batch_size=64, learning_rate=1e-3, lr_schedule="cosine",
        notes="p(z) = N(0, I); the decoder reads the one-hot label beside z, so the 2-D code "
              "only has to hold style (slant, width, stroke) and a picked class always draws "
              "that digit. Its ELBO and IWAE bound log p(x | y).",
    ),
    Recipe(
        name="tutorial-2d",
        title="TF tutorial convolutional VAE (2-D)",
        source=TUTORIAL,
        latent=2,
        encoder=_TUTORIAL_ENCODER,
        decoder=_TUTORIAL_DECODER,
        epochs=40, batch_size=32, learning_rate=1e-3, lr_schedule="cosine",
        published={"elbo": -156.5, "epochs": 10, "batch_size": 32, "learning_rate": 1e-4},
    ),
    Recipe(
        name="tutorial-50d",
        title="TF tutorial convolutional VAE (50-D)",
        source=TUTORIAL + ", older edition",
        latent=50,
        encoder=_TUTORIAL_ENCODER,
        decoder=_TUTORIAL_DECODER,
        epochs=40, batch_size=100, learning_rate=1e-3, lr_schedule="cosine",
        published={"elbo": -77.8, "epochs": 100, "batch_size": 100, "learning_rate": 1e-4},
    ),
    Recipe(
        name="tfp-16d",
        title="TFP Layers VAE, full-covariance posterior (16-D)",
        source=TFP_LAYERS_BLOG,
        latent=16,
        encoder=_tfp_conv_encoder(16, centre=True),
        decoder=_tfp_conv_decoder(16),
        posterior="tril",
        epochs=15, batch_size=256, learning_rate=1e-3,
        published={"elbo_approx": -115.0, "epochs": 15, "learning_rate": 1e-3,
                   "note": "'around 115 nats' on grey-level MNIST treated as Bernoulli"},
        notes="kl_weight is the beta of a beta-VAE (1.0 = the plain ELBO).",
    ),
    Recipe(
        name="tf1-conv-8d",
        title="TF1 blog convolutional VAE with dropout (8-D, MSE)",
        source=TF1_BLOG + ", first program",
        latent=8,
        encoder=_TF1_CONV_ENCODER,
        decoder=_TF1_CONV_DECODER,
        reconstruction="mse",
        epochs=32, batch_size=64, learning_rate=5e-4,
        published={"steps": 30000, "batch_size": 64, "learning_rate": 5e-4,
                   "note": "trained on squared error; no likelihood published"},
        notes="Trained on squared error like the blog; evaluated with the Bernoulli ELBO.",
    ),
    Recipe(
        name="mlp-20d",
        title="TF1 blog MLP VAE 784-400-20",
        source=TF1_BLOG + ", second program",
        latent=20,
        encoder=_MLP_ENCODER,
        decoder=_MLP_DECODER,
        epochs=50, batch_size=100, learning_rate=1e-3,
        published={"batch_size": 100, "learning_rate": 1e-2, "note": "no figure published"},
        notes="The blog used Adam at 1e-2 for 1e6 steps; 1e-3 for 50 epochs is used here.",
    ),
)}

DEFAULT_RECIPE = "class-prior-2d"


def get_recipe(name: str) -> Recipe:
    """The registered recipe called ``name``; ``KeyError`` lists the known names."""
    try:
        return RECIPES[name]
    except KeyError:
        raise KeyError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}") from None
