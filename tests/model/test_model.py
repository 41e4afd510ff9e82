"""Recipes build, train a step, and their ELBO matches closed forms where one exists."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from cvae.fitting import Trainer
from cvae.model import VAE
from cvae.recipes import RECIPES, Recipe, get_recipe


def tiny_batch(n: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = (rng.random((n, 28, 28, 1)) < 0.2).astype(np.float32)
    return x, (np.arange(n) % 10).astype(np.int32)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_builds_and_one_training_step_changes_weights(name):
    recipe = get_recipe(name).with_overrides(batch_size=8)
    keras.utils.set_random_seed(0)
    vae = VAE(recipe)
    trainer = Trainer(vae, seed=0)
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = [w.copy() for w in vae.get_weights()]
    x, y = tiny_batch()
    hist = trainer.fit(x, y, batch_size=8, epochs=1, verbose=0)
    after = vae.get_weights()
    assert np.isfinite(hist.history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    # the public distributions have the documented event shapes
    assert vae.posterior(x, y).event_shape == [recipe.latent]
    assert vae.prior(y).event_shape == [recipe.latent]
    z = np.zeros((3, recipe.latent), np.float32)
    assert vae.likelihood(z, y[:3]).event_shape == [28, 28, 1]


def test_a_label_reading_decoder_draws_differently_for_each_label():
    """At one fixed z the style model's decoder must change with the label, and a model
    without the label in its decoder must not."""
    keras.utils.set_random_seed(0)
    style = VAE(get_recipe("cvae-style-2d"))
    z = np.full((10, 2), 0.3, np.float32)
    means = style.likelihood(z, np.arange(10)).mean().numpy().reshape(10, -1)
    gaps = np.abs(means[:, None] - means[None]).max(axis=-1)[np.triu_indices(10, 1)]
    assert gaps.min() > 1e-4
    with pytest.raises(ValueError, match="pass y"):
        style.likelihood(z)
    plain = VAE(get_recipe("tutorial-2d"))
    same = plain.likelihood(z, np.arange(10)).mean().numpy().reshape(10, -1)
    np.testing.assert_array_equal(same, np.broadcast_to(same[:1], same.shape))


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_json_round_trip(name):
    recipe = get_recipe(name)
    assert Recipe.from_json(recipe.to_json()) == recipe


def test_recipe_validation_rejects_nonsense():
    base = get_recipe("tutorial-2d")
    with pytest.raises(ValueError, match="posterior"):
        base.with_overrides(posterior="banana")
    with pytest.raises(ValueError, match="prior_net"):
        base.with_overrides(prior="class-mean")
    with pytest.raises(KeyError, match="known"):
        get_recipe("no-such-recipe")


def test_recipe_cannot_name_arbitrary_code():
    bad = get_recipe("mlp-20d").to_json()
    bad["encoder"] = [["os.system", {}]]
    with pytest.raises(ValueError, match=r"not a keras\.layers class"):
        VAE(Recipe.from_json(bad))


# --- closed form -------------------------------------------------------------------------

def _constant_model(recipe: Recipe, logit: float, enc_bias: np.ndarray,
                    class_means: np.ndarray | None = None) -> VAE:
    """A model whose decoder ignores z (constant logits) and whose encoder ignores x."""
    vae = VAE(recipe)
    for net in (vae.net.encoder, vae.net.decoder):
        for layer in net.layers:
            for v in layer.weights:
                v.assign(np.zeros(v.shape, np.float32))
    vae.net.encoder.layers[-1].bias.assign(enc_bias.astype(np.float32))
    vae.net.decoder.layers[-2].bias.assign(np.full(vae.net.decoder.layers[-2].bias.shape,
                                                   logit, np.float32))
    if class_means is not None:
        first, second = vae.net.prior_net.layers
        first.kernel.assign(np.eye(10, first.kernel.shape[1], dtype=np.float32))
        first.bias.assign(np.zeros(first.bias.shape, np.float32))
        # hidden = one-hot[:, :k]; pick means so that class c maps to class_means[c]
        second.kernel.assign(class_means[: first.kernel.shape[1]].astype(np.float32))
        second.bias.assign(np.zeros(second.bias.shape, np.float32))
    return vae


def _mlp(latent: int, **kw) -> Recipe:
    return Recipe(name="closed-form", title="t", source="test", latent=latent,
                  encoder=(("Flatten", {}),),
                  decoder=(("Dense", {"units": 784}), ("Reshape", {"target_shape": [28, 28, 1]})),
                  **kw)


def _bernoulli_loglik(x: np.ndarray, logit: float) -> np.ndarray:
    p = 1.0 / (1.0 + math.exp(-logit))
    k = x.reshape(len(x), -1).sum(axis=1)
    return k * math.log(p) + (784 - k) * math.log(1 - p)


def test_elbo_matches_closed_form_standard_prior_diag_posterior():
    m, log_var, logit = np.array([0.7, -1.2]), np.array([-0.5, 0.3]), -1.5
    vae = _constant_model(_mlp(2), logit, np.concatenate([m, log_var]))
    x, y = tiny_batch()
    terms = vae.elbo_terms(x, y, seed=tf.constant([3, 4]))
    var = np.exp(log_var)
    kl = 0.5 * np.sum(var + m**2 - 1.0 - log_var)
    expected = _bernoulli_loglik(x, logit) - kl
    np.testing.assert_allclose(terms["kl"].numpy(), kl, rtol=1e-5)
    np.testing.assert_allclose(terms["elbo"].numpy(), expected, rtol=1e-5)


def test_elbo_matches_closed_form_class_prior_tril_posterior():
    """Class-mean prior N(mu_y, I) and a full-covariance posterior whose raw scale
    parameters are all zero: scale = diag(softplus(0) + 1e-5)."""
    means = np.array([[2.0 * c - 9.0, 1.0 - 0.5 * c] for c in range(10)])
    recipe = _mlp(2, prior="class-mean", posterior="tril",
                  prior_net=(("Dense", {"units": 10}), ("Dense", {"units": 2})))
    m, logit = np.array([0.25, -0.75]), 0.4
    vae = _constant_model(recipe, logit, np.concatenate([m, np.zeros(3)]), class_means=means)
    np.testing.assert_allclose(vae.class_means().numpy(), means, atol=1e-6)
    x, y = tiny_batch()
    terms = vae.elbo_terms(x, y, seed=tf.constant([5, 6]))
    s = math.log(2.0) + 1e-5
    kl = 0.5 * (2 * s**2 + ((m - means[y]) ** 2).sum(axis=1) - 2 - 2 * 2 * math.log(s))
    np.testing.assert_allclose(terms["kl"].numpy(), kl, rtol=1e-5)
    np.testing.assert_allclose(terms["elbo"].numpy(), _bernoulli_loglik(x, logit) - kl,
                               rtol=1e-5)


def test_class_prior_without_label_is_the_uniform_mixture():
    means = np.array([[float(c), -float(c)] for c in range(10)])
    recipe = _mlp(2, prior="class-mean",
                  prior_net=(("Dense", {"units": 10}), ("Dense", {"units": 2})))
    vae = _constant_model(recipe, 0.0, np.zeros(4), class_means=means)
    z = np.array([[0.3, -0.1], [4.0, -4.2]], np.float32)
    log_mix = vae.prior(None).log_prob(z).numpy()
    per_class = -0.5 * ((z[:, None, :] - means[None]) ** 2).sum(-1) - math.log(2 * math.pi)
    expected = np.log(np.exp(per_class).mean(axis=1))
    np.testing.assert_allclose(log_mix, expected, rtol=1e-5)
