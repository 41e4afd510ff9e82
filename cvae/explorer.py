"""What the explorer page derives from one model and the test split, computed once.

`ModelView` holds the test-set codes, the 2-D view frame, class centres and plot bounds,
and turns page state (class, slider point, grid settings) into latent codes. The frame is
that of the view's map plane (`cvae.plane`); `ModelView.in_plane` gives the view of another.
It holds no TensorFlow objects; decoding goes through `cvae.serving.core.ModelCore`.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cvae import latent as lt
from cvae import plane as planes
from cvae.data import Split

PLANE_VIEWS = 32  # plane views kept per model (each holds [N, 2] coordinates)
_PLANES_LOCK = threading.Lock()
STEP = 0.01  # slider resolution in view coordinates
DIGITS = tuple(range(10))
DEFAULT_DIGIT = 8  # the class the page opens on (the conditional-VAE write-up's example)
# One slider range for every model: a slider whose range changed is a new widget, and a new
# URL-bound widget takes its value from the link over the page's state, so per-model ranges
# would keep a stale point after a model switch. Every shipped model's test codes and class
# centres fit in it (checked by tests/model/test_shipped_bundles.py).
SLIDER_LIMIT = 12.0  # class-prior-2d test codes reach -11.6 (z1) and 8.7 (z2)
SLIDER_BOUNDS = ((-SLIDER_LIMIT, SLIDER_LIMIT), (-SLIDER_LIMIT, SLIDER_LIMIT))


def clamp_coordinate(v: float) -> float:
    """A view coordinate moved inside the slider range (a non-finite one becomes 0); the
    one clamp of the page's points and the live route's requests."""
    return float(np.clip(v if np.isfinite(v) else 0.0, -SLIDER_LIMIT, SLIDER_LIMIT))


def clamp_point(xy: tuple[float, float]) -> tuple[float, float]:
    """A view point moved inside the slider range and rounded to the slider step."""
    x, y = (round(round(clamp_coordinate(v) / STEP) * STEP, 2) for v in xy)
    return x, y


@dataclass(frozen=True)
class ModelView:
    """Test-set encodings and the view geometry of one model."""

    name: str
    latent: int
    class_mean_prior: bool
    codes: np.ndarray          # [N, L] posterior means of the test digits
    labels: np.ndarray         # [N] their classes
    frame: lt.Frame            # codes -> view coordinates
    coords: np.ndarray         # [N, 2] view coordinates of the codes
    centres: np.ndarray        # [10, L] learned prior means, else per-class code means
    bounds: tuple[tuple[float, float], tuple[float, float]]  # of the plots (the codes' span)
    directions: np.ndarray | None = None  # [L, k] leading principal directions of the codes
    plane: str = planes.DEFAULT           # the plane `frame` spans (`cvae.plane`)
    _planes: dict[str, ModelView] = field(default_factory=dict, repr=False, compare=False)

    @property
    def centre_coords(self) -> np.ndarray:
        return self.frame.project(self.centres)

    @property
    def axis_titles(self) -> tuple[str, str]:
        return planes.parse(self.plane, self.latent).titles(self.latent)

    def in_plane(self, key: str) -> ModelView:
        """This view with the map in plane ``key`` (`cvae.plane`; `PlaneError` if the
        model has no such plane): the same codes, centres and class; the frame, the test
        digits' coordinates and the plot bounds of that plane. Built once per plane (the
        last `PLANE_VIEWS` kept) and shared."""
        if key == self.plane:
            return self
        found = self._planes.get(key)
        if found is not None:
            return found
        plane = planes.parse(key, self.latent)
        if self.directions is None:
            raise planes.PlaneError("this view has no principal directions")
        with _PLANES_LOCK:
            if key not in self._planes:
                while len(self._planes) >= PLANE_VIEWS:
                    self._planes.pop(next(iter(self._planes)))
                self._planes[key] = _view_in(self, lt.Frame(plane.basis(self.directions)),
                                             plane.key)
            return self._planes[key]

    def start_point(self, digit: int) -> tuple[float, float]:
        """Where the sliders start for a class: its centre in the view."""
        return clamp_point(tuple(self.centre_coords[digit]))

    def code_point(self, index: int) -> tuple[float, float]:
        """Slider point of test digit ``index``."""
        return clamp_point(tuple(self.coords[index]))

    def latent_at(self, digit: int, xy: tuple[float, float]) -> np.ndarray:
        """The code ``[L]`` shown at slider point ``xy``: off-view components held at the
        class centre."""
        return self.frame.lift(np.asarray(xy, np.float64), self.centres[digit])

    def class_grid(self, digit: int, n: int, upper: float) -> np.ndarray:
        """n x n codes from normal quantiles offset by the class centre (the write-up's grid)."""
        return lt.shifted_grid(self.frame, self.centres[digit], n, upper)

    def manifold(self, n: int, upper: float) -> np.ndarray:
        """n x n codes spanning the whole prior of a 2-D model: quantiles of N(0, I), or of
        the moment-matched class-mean mixture for a class-prior model."""
        if self.latent != 2:
            raise ValueError("the full manifold is shown for 2-D models only")
        if self.class_mean_prior:
            centre, scale = lt.mixture_moments(self.centres)
        else:
            centre, scale = np.zeros(2), np.ones(2)
        return lt.shifted_grid(self.frame, centre, n, upper, scale)

    def prior_samples(self, digit: int, count: int, seed: int) -> np.ndarray:
        """Codes drawn from p(z | digit) for a class prior, else from N(0, I)."""
        return lt.prior_samples(self.centres[digit] if self.class_mean_prior else None,
                                self.latent, count, seed)

    def decoder_input(self, digit: int, xy: tuple[float, float], label_to_decoder: bool
                      ) -> tuple[np.ndarray, int | None]:
        """What to decode for the digit shown at view point ``xy`` of class ``digit``: the
        code ``[1, L]`` (`latent_at`) and the class as label for a decoder that reads it.
        The page's decode (`ModelService.digit_at`) and the live route's are this one."""
        return self.latent_at(digit, xy)[None], digit if label_to_decoder else None


def _view_in(view: ModelView, frame: lt.Frame, key: str) -> ModelView:
    """``view`` seen through ``frame`` (plane ``key``): its coordinates and bounds."""
    coords = frame.project(view.codes)
    coords.setflags(write=False)
    bounds = lt.view_bounds(np.concatenate([coords, frame.project(view.centres)]))
    return dataclasses.replace(view, frame=frame, coords=coords, bounds=bounds, plane=key,
                               _planes={})


def build_view(core: Any, split: Split) -> ModelView:
    """Encode ``split`` with ``core`` and derive the view geometry (in the default plane,
    `cvae.plane.DEFAULT`; other planes through `ModelView.in_plane`)."""
    codes = core.encode(split.images, split.labels)[0].astype(np.float64)
    labels = np.asarray(split.labels, np.int64)
    directions = lt.principal_directions(codes, planes.PC_COUNT)
    centres = lt.view_centres(codes, labels, core.prior_means)
    for arr in (codes, labels, centres, directions):
        arr.setflags(write=False)  # shared between sessions: make accidental writes fail
    base = ModelView(name=core.name, latent=core.latent, class_mean_prior=core.class_mean_prior,
                     codes=codes, labels=labels, frame=lt.Frame(directions[:, :2]),
                     coords=np.empty((0, 2)), centres=centres, bounds=((0, 0), (0, 0)),
                     directions=directions)
    return _view_in(base, base.frame, planes.DEFAULT)
