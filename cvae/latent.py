"""Pure latent-space and grid maths for the explorer (NumPy only, no TensorFlow).

Conventions: a *frame* maps latent codes ``[..., L]`` to 2-D view coordinates and back;
for 2-D models it is the identity. Grids are returned row-major with row 0 at the top, the
first view axis growing to the right and the second growing upwards, so a grid image lines
up with the scatter plot beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

# The class grid's settings: min, max and default (the write-up: 15x15 at quantiles
# 0.05-0.95). The page's sliders, the warm-up and the fidelity measure all read these.
GRID_N = (3, 25, 15)
GRID_SPAN = (0.6, 0.99, 0.95)


def normal_quantiles(n: int, upper: float = 0.95) -> np.ndarray:
    """``n`` standard-normal quantiles at probabilities evenly spaced in [1-upper, upper]."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 0.5 < upper < 1.0:
        raise ValueError(f"upper must be in (0.5, 1), got {upper}")
    probs = np.linspace(1.0 - upper, upper, n) if n > 1 else np.array([0.5])
    dist = NormalDist()
    return np.array([dist.inv_cdf(float(p)) for p in probs])


def grid_offsets(n: int, upper: float = 0.95, scale: np.ndarray | float = 1.0) -> np.ndarray:
    """2-D offsets of an n x n quantile grid, ``[n*n, 2]``, row-major, top row first."""
    q = normal_quantiles(n, upper)
    scale = np.broadcast_to(np.asarray(scale, np.float64), (2,))
    xs = q * scale[0]
    ys = q[::-1] * scale[1]  # top row = largest second coordinate
    gx, gy = np.meshgrid(xs, ys)  # [row, col]
    return np.stack([gx.ravel(), gy.ravel()], axis=-1)


@dataclass(frozen=True)
class Frame:
    """A 2-D view of an L-D latent space: ``coords = z @ basis`` with orthonormal columns."""

    basis: np.ndarray  # [L, 2]

    def project(self, z: np.ndarray) -> np.ndarray:
        """View coordinates ``[..., 2]`` of codes ``[..., L]``."""
        return np.asarray(z, np.float64) @ self.basis

    def lift(self, coords: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Codes whose view coordinates are ``coords`` and whose remaining (off-view)
        components equal those of ``base``: ``base + (coords - project(base)) @ basis.T``."""
        base = np.asarray(base, np.float64)
        delta = np.asarray(coords, np.float64) - self.project(base)
        return base + delta @ self.basis.T


def identity_frame(latent: int = 2) -> Frame:
    """The frame of a 2-D model (or the first two axes of a larger one)."""
    return Frame(np.eye(latent, 2))


def principal_directions(codes: np.ndarray, count: int = 2) -> np.ndarray:
    """The ``count`` leading principal directions of ``codes`` ``[N, L]`` as orthonormal
    columns ``[L, min(count, L)]``; for 2-D codes the identity (a 2-D model's own axes).

    Signs are fixed so each direction's largest-magnitude component is positive, making
    the directions deterministic for the same codes.
    """
    codes = np.asarray(codes, np.float64)
    if codes.ndim != 2 or codes.shape[0] < 2:
        raise ValueError(f"need codes shaped [N>=2, L], got {codes.shape}")
    latent = codes.shape[1]
    if latent <= 2:
        return np.eye(latent, 2)
    _, _, vt = np.linalg.svd(codes - codes.mean(axis=0), full_matrices=False)
    basis = vt[:min(count, latent)].T.copy()
    for j in range(basis.shape[1]):
        if basis[np.argmax(np.abs(basis[:, j])), j] < 0:
            basis[:, j] *= -1
    return basis


def shifted_grid(frame: Frame, centre: np.ndarray, n: int, upper: float = 0.95,
                 scale: np.ndarray | float = 1.0) -> np.ndarray:
    """Codes ``[n*n, L]`` of a quantile grid centred on ``centre`` in the view plane,
    with the off-view components held at ``centre`` (the write-up's class-mean grid)."""
    coords = frame.project(centre) + grid_offsets(n, upper, scale)
    return frame.lift(coords, centre)


def prior_samples(centre: np.ndarray | None, latent: int, count: int, seed: int) -> np.ndarray:
    """``count`` codes from N(centre, I) (N(0, I) when ``centre`` is None), seeded."""
    eps = np.random.default_rng(seed).standard_normal((count, latent))
    return eps + (0.0 if centre is None else centre)


def view_centres(codes: np.ndarray, labels: np.ndarray,
                 prior_means: np.ndarray | None) -> np.ndarray:
    """The class centres the page draws around and fidelity measures at: a class-prior
    model's learned prior means, else the mean code of each class."""
    return prior_means if prior_means is not None else class_centres(codes, labels)


def class_centres(codes: np.ndarray, labels: np.ndarray, classes: int = 10) -> np.ndarray:
    """Mean code of each class ``[classes, L]`` (NaN rows for absent classes)."""
    codes = np.asarray(codes, np.float64)
    labels = np.asarray(labels)
    out = np.full((classes, codes.shape[1]), np.nan)
    for c in range(classes):
        members = codes[labels == c]
        if len(members):
            out[c] = members.mean(axis=0)
    return out


def mixture_moments(means: np.ndarray, component_var: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and per-axis standard deviation of an equal-weight Gaussian mixture with
    component means ``means`` ``[K, D]`` and isotropic variance ``component_var``."""
    means = np.asarray(means, np.float64)
    centre = means.mean(axis=0)
    std = np.sqrt(component_var + means.var(axis=0))
    return centre, std


def interpolate(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """``steps`` codes evenly spaced on the straight line from ``a`` to ``b`` inclusive."""
    if steps < 2:
        raise ValueError(f"steps must be >= 2, got {steps}")
    t = np.linspace(0.0, 1.0, steps)[:, None]
    a = np.asarray(a, np.float64)
    return a + t * (np.asarray(b, np.float64) - a)


def view_bounds(points: np.ndarray, pad: float = 0.5, step: float = 0.5,
                quantile: float = 0.001) -> tuple[tuple[float, float], tuple[float, float]]:
    """Plot ranges covering the central (1 - 2*quantile) of ``points`` ``[N, 2]`` plus
    ``pad``, rounded outwards to multiples of ``step``; always containing [-3, 3]. (The
    sliders have one fixed range for every model, `cvae.explorer.SLIDER_BOUNDS`.)"""
    pts = np.asarray(points, np.float64)
    lo = np.minimum(np.quantile(pts, quantile, axis=0) - pad, -3.0)
    hi = np.maximum(np.quantile(pts, 1.0 - quantile, axis=0) + pad, 3.0)
    lo = np.floor(lo / step) * step
    hi = np.ceil(hi / step) * step
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


# --- posterior ellipses ----------------------------------------------------------------------

@dataclass(frozen=True)
class Ellipse:
    """A 2-D Gaussian's k-sigma contours in view coordinates: the ellipse at ``k`` sigma has
    semi-axes ``k * axes``, the major one at ``angle`` radians counter-clockwise from the
    first view axis (in (-pi/2, pi/2])."""

    centre: tuple[float, float]
    axes: tuple[float, float]  # 1-sigma semi-axes, major first
    angle: float

    def outline(self, sigma: float = 1.0, points: int = 65) -> np.ndarray:
        """``[points, 2]`` view coordinates around the ``sigma`` contour (closed)."""
        t = np.linspace(0.0, 2.0 * np.pi, points)
        local = np.stack([sigma * self.axes[0] * np.cos(t),
                          sigma * self.axes[1] * np.sin(t)], axis=-1)
        c, s = np.cos(self.angle), np.sin(self.angle)
        return local @ np.array([[c, s], [-s, c]]) + np.asarray(self.centre)


def view_covariance(cov: np.ndarray, frame: Frame) -> np.ndarray:
    """The 2x2 covariance in the view plane, ``P Σ Pᵀ`` with ``P = basis.T``, of a full
    ``[L, L]`` or diagonal ``[L]`` latent covariance."""
    cov = np.asarray(cov, np.float64)
    latent = frame.basis.shape[0]
    if cov.shape == (latent,):
        cov = np.diag(cov)
    if cov.shape != (latent, latent):
        raise ValueError(f"covariance must be [{latent}] or [{latent}, {latent}], "
                         f"got {cov.shape}")
    return frame.basis.T @ cov @ frame.basis


def ellipse(mean: np.ndarray, cov: np.ndarray, frame: Frame) -> Ellipse:
    """The view ellipse of N(mean, cov) (``cov`` full ``[L, L]`` or diagonal ``[L]``)."""
    values, vectors = np.linalg.eigh(view_covariance(cov, frame))  # ascending
    major = vectors[:, 1]
    angle = float(np.arctan2(major[1], major[0]))
    if angle <= -np.pi / 2:
        angle += np.pi
    elif angle > np.pi / 2:
        angle -= np.pi
    a, b = np.sqrt(np.clip(values[::-1], 0.0, None))
    centre = frame.project(mean)
    return Ellipse((float(centre[0]), float(centre[1])), (float(a), float(b)), angle)


# --- traversals and active units ------------------------------------------------------------

def traversal(code: np.ndarray, dim: int, steps: int = 9, spread: float = 3.0,
              std: float = 1.0) -> np.ndarray:
    """``steps`` codes ``[steps, L]`` equal to ``code`` except in dimension ``dim``, which runs
    evenly over ``code[dim] ± spread * std`` (``std``: the prior's standard deviation)."""
    code = np.asarray(code, np.float64)
    if not 0 <= dim < code.shape[-1]:
        raise ValueError(f"dim must be in [0, {code.shape[-1]}), got {dim}")
    out = np.repeat(code[None], steps, axis=0)
    out[:, dim] += np.linspace(-spread, spread, steps) * std
    return out


ACTIVE_THRESHOLD = 0.01  # Burda et al. (2015): u is active when Cov_x(E_q[z_u | x]) > 0.01


def unit_variances(posterior_means: np.ndarray) -> np.ndarray:
    """Cov_x(E_q[z_u | x]) per latent dimension ``[L]`` over the digits' posterior means."""
    means = np.asarray(posterior_means, np.float64)
    return means.var(axis=0)


def active_units(variances: np.ndarray, threshold: float = ACTIVE_THRESHOLD) -> np.ndarray:
    """Indices of the active dimensions, most active first."""
    variances = np.asarray(variances, np.float64)
    order = np.argsort(-variances, kind="stable")
    return order[variances[order] > threshold]


def lattice(x: tuple[float, float], y: tuple[float, float], n: int) -> np.ndarray:
    """Centres ``[n*n, 2]`` of an n x n lattice of cells over ``x`` x ``y``, row-major with
    the top row (largest second coordinate) first, as in an image."""
    xs = x[0] + (np.arange(n) + 0.5) * (x[1] - x[0]) / n
    ys = y[1] - (np.arange(n) + 0.5) * (y[1] - y[0]) / n
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=-1)
