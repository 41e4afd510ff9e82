"""One code path from a `Recipe` to a VAE that speaks in `tfp.distributions`.

`VAE.prior(y)`, `VAE.posterior(x, y)` and `VAE.likelihood(z, y)` return distributions with
event shapes ``[latent]``, ``[latent]`` and ``[28, 28, 1]``. The Keras layers live in
`VAENetwork` (a plain container, so ``.weights.h5`` files hold nothing else); the public
`VAE` adds the recipe, the bundle's ``config`` and ``metrics`` dicts and the maths.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from cvae.recipes import IMAGE_SHAPE, NUM_CLASSES, LayerSpec, Recipe

tfd = tfp.distributions
tfb = tfp.bijectors


def build_sequential(specs: tuple[LayerSpec, ...], input_shape: tuple[int, ...],
                     name: str) -> keras.Sequential:
    """A built `keras.Sequential` from ``(class_name, config)`` layer specs.

    Only built-in `keras.layers` classes are accepted, so a bundle's recipe can never name
    arbitrary code to import.
    """
    layers = []
    for cls_name, cfg in specs:
        cls = getattr(keras.layers, cls_name, None)
        if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)):
            raise ValueError(f"{cls_name!r} is not a keras.layers class")
        layers.append(cls(**cfg))
    return keras.Sequential([keras.Input(shape=input_shape), *layers], name=name)


def posterior_param_size(recipe: Recipe) -> int:
    """Width of the encoder's last Dense layer: loc plus diagonal or triangular scale."""
    d = recipe.latent
    return 2 * d if recipe.posterior == "diag" else d + d * (d + 1) // 2


class VAENetwork(keras.Model):
    """The trainable parts of a recipe: encoder, decoder and (if any) the class-mean map."""

    def __init__(self, recipe: Recipe, **kwargs: Any) -> None:
        super().__init__(name=recipe.name.replace("-", "_"), **kwargs)
        head: LayerSpec = ("Dense", {"units": posterior_param_size(recipe)})
        self.encoder = build_sequential((*recipe.encoder, head), recipe.encoder_input,
                                        "encoder")
        self.decoder = build_sequential(recipe.decoder, (recipe.decoder_input,), "decoder")
        self.prior_net = (build_sequential(recipe.prior_net, (NUM_CLASSES,), "prior_net")
                          if recipe.class_mean_prior else None)
        out = self.decoder.output_shape[1:]
        if tuple(out) != IMAGE_SHAPE:
            raise ValueError(f"recipe {recipe.name!r}: decoder outputs {out}, "
                             f"expected {IMAGE_SHAPE}")
        self.built = True

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Encoder parameters of ``x`` (the networks are used piecewise by `VAE`)."""
        return self.encoder(x, training=training)


class VAE:
    """A trained or fresh model of one recipe, exposing its distributions.

    Attributes:
        recipe: the `Recipe` the networks were built from.
        net: the `VAENetwork` holding every weight.
        config: how the model was made (recipe, training settings, provenance).
        metrics: measured figures (test ELBO, IWAE bound, per-epoch history).
    """

    def __init__(self, recipe: Recipe, config: dict[str, Any] | None = None,
                 metrics: dict[str, Any] | None = None) -> None:
        self.recipe = recipe
        self.net = VAENetwork(recipe)
        self.config: dict[str, Any] = config if config is not None else {
            "recipe": recipe.to_json()}
        self.metrics: dict[str, Any] = metrics if metrics is not None else {}
        self._fill_tril = tfb.FillScaleTriL(diag_shift=1e-5)

    @property
    def latent(self) -> int:
        return self.recipe.latent

    @property
    def name(self) -> str:
        return self.recipe.name

    @property
    def class_mean_prior(self) -> bool:
        return self.recipe.class_mean_prior

    @property
    def uses_label(self) -> bool:
        return self.recipe.uses_label

    def _labels(self, y: Any) -> tf.Tensor:
        if y is None:
            raise ValueError(f"{self.name} reads the digit label: pass y")
        return tf.one_hot(tf.cast(y, tf.int32), NUM_CLASSES)

    def count_params(self) -> int:
        return int(self.net.count_params())

    # --- distributions ---------------------------------------------------------------------

    def class_means(self) -> tf.Tensor:
        """Learned prior means, one row per digit class (``[10, latent]``)."""
        if self.net.prior_net is None:
            raise ValueError(f"{self.name} has a standard prior; it has no class means")
        return self.net.prior_net(tf.eye(NUM_CLASSES))

    def prior(self, y: Any = None) -> tfd.Distribution:
        """p(z | y): N(0, I) or N(mu_y, I); for a class prior with ``y=None`` the
        uniform mixture over the ten classes, i.e. the label-marginal prior."""
        d = self.latent
        if not self.class_mean_prior:
            shape = [d] if y is None else [tf.shape(y)[0], d]
            return tfd.MultivariateNormalDiag(loc=tf.zeros(shape))
        means = self.class_means()
        if y is None:
            return tfd.MixtureSameFamily(
                tfd.Categorical(logits=tf.zeros([NUM_CLASSES])),
                tfd.MultivariateNormalDiag(loc=means))
        return tfd.MultivariateNormalDiag(loc=tf.gather(means, tf.cast(y, tf.int32)))

    def posterior(self, x: Any, y: Any = None, training: bool = False) -> tfd.Distribution:
        """q(z | x): Gaussian with diagonal or full (lower-triangular) covariance."""
        x = tf.convert_to_tensor(x, tf.float32)
        if self.recipe.label_to_encoder:  # the label as ten constant image channels
            onehot = self._labels(y)[:, None, None, :]
            x = tf.concat([x, tf.broadcast_to(onehot, tf.concat(
                [tf.shape(x)[:3], [NUM_CLASSES]], axis=0))], axis=-1)
        params = self.net.encoder(x, training=training)
        loc, rest = params[..., : self.latent], params[..., self.latent:]
        if self.recipe.posterior == "diag":
            return tfd.MultivariateNormalDiag(loc=loc, scale_diag=tf.exp(0.5 * rest))
        return tfd.MultivariateNormalTriL(loc=loc, scale_tril=self._fill_tril(rest))

    def likelihood(self, z: Any, y: Any = None, training: bool = False) -> tfd.Distribution:
        """p(x | z, y): independent Bernoulli pixels on the decoder's logits.

        ``z`` may carry any number of leading batch dimensions; ``y`` (read only by models
        whose decoder sees the label) is broadcast against them, e.g. ``[N]`` for ``[k, N, L]``.
        """
        z = tf.convert_to_tensor(z, tf.float32)
        batch_shape = tf.shape(z)[:-1]
        if self.recipe.label_to_decoder:
            onehot = tf.broadcast_to(self._labels(y),
                                     tf.concat([batch_shape, [NUM_CLASSES]], axis=0))
            z = tf.concat([z, onehot], axis=-1)
        flat = tf.reshape(z, [-1, self.recipe.decoder_input])
        logits = self.net.decoder(flat, training=training)
        logits = tf.reshape(logits, tf.concat([batch_shape, IMAGE_SHAPE], axis=0))
        return tfd.Independent(tfd.Bernoulli(logits=logits, dtype=tf.float32),
                               reinterpreted_batch_ndims=3)

    # --- objectives -------------------------------------------------------------------------

    def elbo_terms(self, x: Any, y: Any = None, seed: Any = None,
                   training: bool = False) -> dict[str, tf.Tensor]:
        """Per-digit ELBO pieces from one reparameterised sample z ~ q(z|x).

        Returns ``recon`` = log p(x|z), ``kl`` = KL(q(z|x) || p(z|y)) (closed form where TFP
        has it, else the one-sample estimate), ``elbo`` = recon - kl and ``sq_error``, the
        summed squared error of the Bernoulli means (the TF1 blog's training loss).
        """
        x = tf.convert_to_tensor(x, tf.float32)
        q = self.posterior(x, y, training=training)
        z = q.sample(seed=seed)
        p_x = self.likelihood(z, y, training=training)
        p_z = self.prior(y)
        try:
            kl = tfd.kl_divergence(q, p_z)
        except NotImplementedError:
            kl = q.log_prob(z) - p_z.log_prob(z)
        recon = p_x.log_prob(x)
        sq_error = tf.reduce_sum(tf.square(p_x.mean() - x), axis=[-3, -2, -1])
        return {"recon": recon, "kl": kl, "elbo": recon - kl, "sq_error": sq_error}

    def log_weights(self, x: Any, y: Any, k: int, seed: Any = None) -> tf.Tensor:
        """Importance log-weights log p(x, z_k | y) - log q(z_k | x), shape ``[k, N]``."""
        x = tf.convert_to_tensor(x, tf.float32)
        q = self.posterior(x, y)
        z = q.sample(k, seed=seed)                        # [k, N, latent]
        log_px = self.likelihood(z, y).log_prob(x)        # broadcasts x over k
        return log_px + self.prior(y).log_prob(z) - q.log_prob(z)

    def class_log_weights(self, x: Any, k: int, seed: Any = None) -> tf.Tensor:
        """Log-weights log p(x | z_k) + log p(z_k | y') - log q(z_k | x) for every class y',
        shape ``[k, N, 10]``: one decoder pass serves all ten labels. Only for models where
        the label enters through the prior alone (a class-mean prior)."""
        if not self.recipe.label_only_in_prior:
            raise ValueError(f"{self.name}: per-class weights need a label-free encoder and "
                             "decoder with a class-mean prior")
        x = tf.convert_to_tensor(x, tf.float32)
        q = self.posterior(x)
        z = q.sample(k, seed=seed)                                       # [k, N, L]
        base = self.likelihood(z).log_prob(x) - q.log_prob(z)            # [k, N]
        log_pz = self.prior(tf.range(NUM_CLASSES)).log_prob(z[..., None, :])  # [k, N, 10]
        return base[..., None] + log_pz

    # --- persistence ------------------------------------------------------------------------

    def save_weights(self, path: str) -> None:
        self.net.save_weights(path)

    def load_weights(self, path: str) -> None:
        self.net.load_weights(path)

    def get_weights(self) -> list[np.ndarray]:
        return self.net.get_weights()
