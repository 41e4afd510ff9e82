"""Everything the page shows of one model, behind one session-free object.

`ModelService` holds a model's serving core (`cvae.serving.core`), its view of the test
split (`cvae.explorer.ModelView`) and its model card, and answers the page's questions:
the digit at a latent point, grids, prior samples, morphs, analogies, a test digit and its
reconstruction, your own digit through the model, and the figures. Data flows one way,
page -> service -> core; results are cached here, shared by every session of the process
(`cvae.serving.registry` keeps one service per model), and immutable: images are PNG bytes,
arrays are read-only and figures are handed out as fresh copies.

Importing this module does not import TensorFlow; the core it is given does.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cvae import digit_input, figures, images, line_chart
from cvae import latent as lt
from cvae.bundle import BundleError, read_progress
from cvae.data import Split
from cvae.explorer import ModelView
from cvae.model_card import ModelInfo

GRID_WIDTH = 560  # pixels a grid image is drawn at (integer upscaling up to this width)
SIGMAS = (1, 2)  # the posterior and prior contours drawn (in standard deviations)
TRAVERSAL_STEPS = 9  # codes per traversal row, over ±3 prior standard deviations


def _fresh_figure(validated: dict[str, Any]) -> go.Figure:
    """A new figure from a cached figure dict that Plotly built from its own objects, so
    already validated: Plotly copies the traces without validating them again, and Streamlit
    takes a figure as validated (a dict it would validate on every run: ~10 ms for the ELBO
    curve, ~20 ms for the scatter, measured)."""
    return go.Figure(validated, _validate=False)


def _grid_scale(n: int) -> int:
    return max(1, GRID_WIDTH // (28 * n))


def _strip_png(probs: np.ndarray) -> bytes:
    """One row of digits (morphs, analogies)."""
    return images.grid_png(probs, 1, len(probs), scale=2, gap=1)


@dataclass(frozen=True)
class OwnReading:
    """Your digit through the model."""

    seen_png: bytes                  # what the model sees: 28x28, binarized
    recon_png: bytes                 # its reconstruction
    xy: tuple[float, float]          # where its code lands in the view
    judge: tuple[int, float]         # the judge's reading and its probability
    guess: tuple[int, float] | None  # likeliest class under a class-mean prior
    analogy_png: bytes | None        # its style drawn as all ten classes (label-reading decoders)


@dataclass(frozen=True)
class Regions:
    """What the decoder draws over a view region, as the judge reads it: an n x n lattice
    of cells (row-major, top row first), each cell's judged digit and the judge's
    probability of it."""

    digit: int                  # the class whose centre holds the off-view components
    x: tuple[float, float]
    y: tuple[float, float]
    n: int
    labels: np.ndarray          # [n*n] uint8, 0-9
    confidence: np.ndarray      # [n*n] float32 in [0, 1]: the judge's max probability


def _ellipse_data(of: str, e: lt.Ellipse) -> dict[str, Any]:
    """One ellipse as the map and the scatter draw it (a few dozen bytes of JSON)."""
    return {"of": of, "centre": [round(e.centre[0], 4), round(e.centre[1], 4)],
            "axes": [round(e.axes[0], 4), round(e.axes[1], 4)],
            "angle": round(e.angle, 4), "sigmas": list(SIGMAS)}


class ModelService:
    """One model's answers to the page, cached and shared by every session."""

    def __init__(self, core: Any, view: ModelView, split: Split, bundle: Path,
                 judge: Callable[[], Any]) -> None:
        self.core = core
        self.view = view
        self._split = split
        self._bundle = bundle
        self._judge = judge
        self.class_grid_png = lru_cache(maxsize=512)(self._class_grid_png)
        self._manifold = lru_cache(maxsize=128)(self._manifold_png)
        self._samples = lru_cache(maxsize=256)(self._samples_png)
        self.morph_png = lru_cache(maxsize=256)(self._morph_png)
        self.analogy_png = lru_cache(maxsize=256)(self._analogy_png)
        self.test_digit_pngs = lru_cache(maxsize=256)(self._test_digit_pngs)
        self._own = lru_cache(maxsize=64)(self._own_reading)
        self._picked_posterior = lru_cache(maxsize=256)(self._picked_ellipse)
        self._own_posterior = lru_cache(maxsize=64)(self._own_ellipse)
        self._regions = lru_cache(maxsize=128)(self._judged_lattice)
        self._lattice = lru_cache(maxsize=128)(self._read_lattice)
        self._traversals = lru_cache(maxsize=32)(self._traversal_probs)
        self.morph_gif = lru_cache(maxsize=32)(self._morph_gif)
        self.analogy_gif = lru_cache(maxsize=32)(self._analogy_gif)
        self._planes = lru_cache(maxsize=8)(self._in_plane)

    def in_plane(self, plane: str) -> ModelService:
        """This model's service with the map in ``plane`` (`cvae.plane`; `PlaneError` if
        the model has none such): the same core, its view through `ModelView.in_plane`, its
        own caches. Built once per plane (the last few kept) and shared; the default
        plane is this service itself."""
        return self if plane == self.view.plane else self._planes(plane)

    def _in_plane(self, plane: str) -> ModelService:
        return ModelService(self.core, self.view.in_plane(plane), self._split, self._bundle,
                            self._judge)

    # --- what the model is -----------------------------------------------------------------

    @property
    def label_to_decoder(self) -> bool:
        """Whether the decoder draws the picked class (p(x | z, y))."""
        return bool(self.core.label_to_decoder)

    @cached_property
    def info(self) -> ModelInfo:
        return ModelInfo.from_bundle(self.core.config, self.core.metrics)

    @property
    def param_count(self) -> int:
        return int(self.core.param_count)

    def trace_count(self) -> int:
        """Times the core's compiled graphs were traced since the model was loaded."""
        return int(self.core.trace_count())

    @property
    def config(self) -> dict[str, Any]:
        """The bundle's full config (a copy)."""
        return copy.deepcopy(self.core.config)

    @cached_property
    def version(self) -> str:
        """8 hex digits of the weights checksum: changes when the weights do."""
        files = self.core.config.get("files", {})
        return str(files.get("model.weights.h5", "0" * 8))[:8]

    def _label(self, digit: int) -> int | None:
        return digit if self.label_to_decoder else None

    # --- decodes ---------------------------------------------------------------------------

    def digit_at(self, digit: int, xy: tuple[float, float]) -> np.ndarray:
        """p(x | z) (or p(x | z, y)) at view point ``xy`` of class ``digit``: [28, 28]."""
        return self.core.decode(*self.view.decoder_input(digit, xy, self.label_to_decoder))[0]

    def judge_reading(self, probs: np.ndarray) -> tuple[int, float] | None:
        """What the judge reads in a decode ``[28, 28]``: (digit, probability); None when
        the judge is not shipped."""
        try:
            odds = self._judge().probabilities(np.asarray(probs)[None])[0]
        except BundleError:
            return None
        read = int(np.argmax(odds))
        return read, float(odds[read])

    def digit_png(self, digit: int, xy: tuple[float, float], scale: int = 10) -> bytes:
        return images.digit_png(self.digit_at(digit, xy), scale=scale)

    def _class_grid_png(self, digit: int, n: int, span: float) -> bytes:
        """n x n codes at normal quantiles offset by the class centre (the write-up's grid)."""
        probs = self.core.decode(self.view.class_grid(digit, n, span), digit)
        return images.grid_png(probs, n, n, scale=_grid_scale(n))

    def manifold_png(self, n: int, span: float, digit: int) -> bytes:
        """The whole prior of a 2-D model, drawn as ``digit`` by a label-reading decoder:
        the same picture (and one cache entry) for every class otherwise."""
        return self._manifold(n, span, self._label(digit))

    def _manifold_png(self, n: int, span: float, label: int | None) -> bytes:
        probs = self.core.decode(self.view.manifold(n, span), label)
        return images.grid_png(probs, n, n, scale=_grid_scale(n))

    def samples_png(self, digit: int, seed: int) -> bytes:
        """16 samples from p(z | digit) (or N(0, I)), two rows of eight: one picture (and
        one cache entry) for every class when neither the prior nor the decoder reads it."""
        shown = digit if self.view.class_mean_prior or self.label_to_decoder else None
        return self._samples(shown, seed)

    def _samples_png(self, digit: int | None, seed: int) -> bytes:
        codes = self.view.prior_samples(digit or 0, 16, seed)  # N(0, I) when ``digit`` is None
        return images.grid_png(self.core.decode(codes, digit), 2, 8, scale=2, gap=1)

    def _morph_probs(self, between: str, i: int, j: int) -> np.ndarray:
        """A 10-step strip ``[10, 28, 28]`` between two class centres (``between="classes"``)
        or two test digits' codes (``"digits"``); a label-reading decoder draws each step
        with the label of the nearer end."""
        view = self.view
        ends = view.codes if between == "digits" else view.centres
        labels = (view.labels[i], view.labels[j]) if between == "digits" else (i, j)
        return self.core.decode(lt.interpolate(ends[i], ends[j], 10), np.repeat(labels, 5))

    def _morph_png(self, between: str, i: int, j: int) -> bytes:
        return _strip_png(self._morph_probs(between, i, j))

    def _morph_gif(self, between: str, i: int, j: int) -> bytes:
        """The morph as a looping animation (there and back)."""
        probs = self._morph_probs(between, i, j)
        return images.gif(np.concatenate([probs, probs[-2:0:-1]]))

    def _analogy_png(self, digit: int, xy: tuple[float, float]) -> bytes:
        """The code at ``xy`` (class ``digit``'s view) decoded with each of the ten labels."""
        return self._as_every_class_png(self.view.latent_at(digit, xy)[None])

    def _analogy_gif(self, digit: int, xy: tuple[float, float]) -> bytes:
        """The analogy strip as an animation: one style running through the ten digits."""
        code = self.view.latent_at(digit, xy)[None]
        return images.gif(self.core.decode(np.repeat(code, 10, axis=0), np.arange(10)),
                          frame_ms=400, pause_ms=400)

    def _as_every_class_png(self, code: np.ndarray) -> bytes:
        """One code ``[1, L]`` decoded with each of the ten labels, one strip."""
        return _strip_png(self.core.decode(np.repeat(code, 10, axis=0), np.arange(10)))

    def _test_digit_pngs(self, index: int, scale: int = 4) -> tuple[bytes, bytes]:
        """Test digit ``index``: the original and its reconstruction."""
        original = images.digit_png(self._split.images[index] / 255.0, scale=scale)
        recon = self.core.decode(self.view.codes[index][None], self.view.labels[index])[0]
        return original, images.digit_png(recon, scale=scale)

    # --- your digit ------------------------------------------------------------------------

    def own_reading(self, image28: np.ndarray) -> OwnReading:
        """Your digit (MNIST-style uint8 28x28, `cvae.digit_input`) through the model: what
        it sees, the judge's reading, the code (encoded with that class when the model reads
        labels), the reconstruction and, where the model allows, the likeliest class and
        your style as all ten classes."""
        raw = np.ascontiguousarray(image28, np.uint8).tobytes()
        return self._own(hashlib.sha256(raw).hexdigest(), raw)

    def _own_reading(self, _key: str, raw: bytes) -> OwnReading:
        image28 = np.frombuffer(raw, np.uint8).reshape(28, 28)
        seen = digit_input.model_input(image28)
        odds = self._judge().probabilities(seen[None])[0]
        read = int(np.argmax(odds))
        code = self.core.encode(image28[None], read)[0]
        xy = self.view.frame.project(code)[0]
        guess = (digit_input.likeliest_class(self.core.class_log_prior(code)[0])
                 if self.view.class_mean_prior else None)
        analogy = self._as_every_class_png(code) if self.label_to_decoder else None
        return OwnReading(
            seen_png=images.digit_png(seen, scale=5),
            recon_png=images.digit_png(self.core.decode(code, read)[0], scale=5),
            xy=(float(xy[0]), float(xy[1])), judge=(read, float(odds[read])), guess=guess,
            analogy_png=analogy)

    # --- inside the latent space: ellipses, decoder regions, traversals --------------------

    def _picked_ellipse(self, index: int) -> lt.Ellipse:
        image = self._split.images[index][None]
        mean, cov = self.core.posterior_covariance(image, int(self.view.labels[index]))
        return lt.ellipse(mean[0], cov[0], self.view.frame)

    def _own_ellipse(self, _key: str, raw: bytes) -> lt.Ellipse:
        image28 = np.frombuffer(raw, np.uint8).reshape(28, 28)
        read = self.own_reading(image28).judge[0]  # encoded with the class it is read as
        mean, cov = self.core.posterior_covariance(image28[None], read)
        return lt.ellipse(mean[0], cov[0], self.view.frame)

    def prior_ellipse(self, digit: int) -> lt.Ellipse:
        """p(z | y = digit) (N(mu_y, I)) of a class-prior model, else N(0, I), in the view."""
        view = self.view
        mean = view.centres[digit] if view.class_mean_prior else np.zeros(view.latent)
        return lt.ellipse(mean, np.ones(view.latent), view.frame)

    def ellipses(self, digit: int, picked: int | None = None,
                 own: np.ndarray | None = None) -> list[dict[str, Any]]:
        """q(z | x) of the picked test digit and of your own digit (MNIST-style uint8
        28x28) as view ellipses (for latent > 2, the covariance projected on the view plane),
        and the class's prior: ``[{of, centre, axes, angle, sigmas}]``, ``of`` one of
        "prior", "picked", "own"; draw ``axes * s`` for each ``s`` in ``sigmas``."""
        out = [_ellipse_data("prior", self.prior_ellipse(digit))]
        if picked is not None:
            out.append(_ellipse_data("picked", self._picked_posterior(int(picked))))
        if own is not None:
            raw = np.ascontiguousarray(own, np.uint8).tobytes()
            out.append(_ellipse_data("own", self._own_posterior(
                hashlib.sha256(raw).hexdigest(), raw)))
        return out

    def regions(self, digit: int, x: tuple[float, float], y: tuple[float, float],
                n: int) -> Regions:
        """What the decoder draws over the view region ``x`` x ``y``: an n x n lattice
        decoded (off-view components at the class centre, drawn as ``digit`` by a
        label-reading decoder) and read by the judge. Computed once per (class, region, n)
        and cached; the arrays are read-only."""
        return self._regions(int(digit), (float(x[0]), float(x[1])),
                             (float(y[0]), float(y[1])), int(n))

    def _judged_lattice(self, digit: int, x: tuple[float, float], y: tuple[float, float],
                        n: int) -> Regions:
        # A 2-D model whose decoder does not read the label draws the same lattice for
        # every class (the view is the whole latent space): one computation serves all ten.
        shared = self.view.latent == 2 and not self.label_to_decoder
        labels, confidence = self._lattice(None if shared else digit, x, y, n)
        return Regions(digit, x, y, n, labels, confidence)

    def _read_lattice(self, digit: int | None, x: tuple[float, float],
                      y: tuple[float, float], n: int) -> tuple[np.ndarray, np.ndarray]:
        centre = self.view.centres[digit or 0]  # ignored by a 2-D view (``digit`` None)
        codes = self.view.frame.lift(lt.lattice(x, y, n), centre)
        labels, confidence = self._judged_decoder.read(
            codes, np.full(len(codes), digit or 0), self.core.map_chunks)
        for arr in (labels, confidence):
            arr.setflags(write=False)
        return labels, confidence

    @cached_property
    def _judged_decoder(self) -> Any:
        """The decoder and the judge as one compiled call (`cvae.serving.lattice`)."""
        from cvae.serving.lattice import JudgedDecoder

        return JudgedDecoder(self.core.vae, self._judge().net)

    @cached_property
    def unit_variances(self) -> np.ndarray:
        """Cov_x(E_q[z_u | x]) of each latent dimension over the test split ``[L]`` (the
        active-unit statistic, `cvae.latent.active_units`)."""
        variances = lt.unit_variances(self.view.codes)
        variances.setflags(write=False)
        return variances

    def traversal_order(self) -> tuple[list[int], list[int]]:
        """Latent dimensions (0-based) ``(active, inactive)``, each most active first."""
        order = np.argsort(-self.unit_variances, kind="stable")
        active = set(lt.active_units(self.unit_variances).tolist())
        return ([int(u) for u in order if u in active],
                [int(u) for u in order if u not in active])

    def traversal_codes(self, digit: int, xy: tuple[float, float], dim: int) -> np.ndarray:
        """The codes of one traversal row: the code at ``xy`` (class ``digit``'s view) with
        dimension ``dim`` run over ± 3 prior standard deviations (the prior's is 1)."""
        return lt.traversal(self.view.latent_at(digit, xy), dim, TRAVERSAL_STEPS)

    def _traversal_probs(self, digit: int, xy: tuple[float, float]) -> np.ndarray:
        codes = np.concatenate([self.traversal_codes(digit, xy, u)
                                for u in range(self.view.latent)])
        probs = self.core.decode(codes, self._label(digit))
        probs = probs.reshape(self.view.latent, TRAVERSAL_STEPS, 28, 28)
        probs.setflags(write=False)
        return probs

    def traversal_png(self, digit: int, xy: tuple[float, float], dims: list[int]) -> bytes:
        """Traversal rows of dimensions ``dims`` (one row each, top to bottom) from the code
        at ``xy``: all rows are decoded once per (class, point) and cached."""
        probs = self._traversals(int(digit), (float(xy[0]), float(xy[1])))[list(dims)]
        return images.grid_png(probs.reshape(-1, 28, 28), len(dims), TRAVERSAL_STEPS,
                               scale=2, gap=1)

    # --- figures and training record -------------------------------------------------------

    @cached_property
    def _scatter_base(self) -> dict[str, Any]:
        return figures.scatter_base(self.view)

    def scatter_figure(self, digit: int, picked: int | None,
                       own: tuple[float, float] | None,
                       ellipses: list[dict[str, Any]] | None = None) -> go.Figure:
        """The test scatter (without the map) with class means, the picked and your digit
        and ``ellipses`` (`ellipses`): a fresh figure (the cached points are never handed
        out)."""
        return _fresh_figure(figures.scatter_with_overlays(
            self._scatter_base, figures.overlay_traces(self.view, digit, None, picked, own,
                                                       ellipses)))

    @cached_property
    def elbo_svg(self) -> str | None:
        """Validation (and training) ELBO per epoch as an inline SVG chart (None without a
        training history)."""
        history = self.core.metrics.get("history", [])
        if not history or "epoch" not in history[0]:
            return None
        return line_chart.elbo_svg(history, self.info.published_elbo)

    @cached_property
    def _progress(self) -> dict[str, np.ndarray]:
        arrays = read_progress(self._bundle)
        for arr in arrays.values():
            arr.setflags(write=False)
        return arrays

    @property
    def last_epoch(self) -> int:
        return int(self._progress["epochs"][-1])

    def training_samples_png(self, epoch: int) -> bytes:
        """The same 16 latent points decoded after ``epoch`` epochs of training."""
        return images.grid_png(self._progress["samples"][epoch] / 255.0, 2, 8, scale=2, gap=1)
