"""Which two directions of the latent space the map shows: a *plane* (pure Python).

A plane is named by a short key, the form it takes in a link (``?plane=``):

* ``pcI-pcJ`` (I < J <= `PC_COUNT`): principal directions I and J of the test digits'
  codes; ``pc1-pc2`` (`DEFAULT`) is the map of every model (for a 2-D model, its own axes).
* ``zI-zJ`` (I != J, both from 1 to the latent size): latent dimensions I (across) and J
  (up) themselves.

Whatever the plane, a view point is a code whose other components are those of the class
centre (`cvae.explorer.ModelView.latent_at`): on ``zI-zJ`` the code is the class centre with
dimensions I and J replaced by the point's two coordinates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

DEFAULT = "pc1-pc2"
PC_COUNT = 4  # principal directions offered (pairs among the first four)
MAX_KEY = 16  # characters of a key (longer ones are refused unread)
_KEY = re.compile(r"(pc|z)([1-9]\d{0,3})-(pc|z)([1-9]\d{0,3})")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class PlaneError(ValueError):
    """A plane key that does not name a plane of the model (the message says why)."""


@dataclass(frozen=True)
class Plane:
    """Directions ``first`` (across) and ``second`` (up), 0-based, of ``kind`` "pc"
    (principal directions) or "z" (latent dimensions)."""

    kind: str
    first: int
    second: int

    @property
    def key(self) -> str:
        return f"{self.kind}{self.first + 1}-{self.kind}{self.second + 1}"

    @property
    def label(self) -> str:
        """How the page names it."""
        what = "Principal directions" if self.kind == "pc" else "Dimensions"
        return f"{what} {self.first + 1} & {self.second + 1}"

    def titles(self, latent: int) -> tuple[str, str]:
        """The map's and the sliders' axis titles (a 2-D model's own axes: z₁, z₂)."""
        if latent == 2:
            return "z₁", "z₂"
        if self.kind == "pc":
            return f"PC {self.first + 1} of the codes", f"PC {self.second + 1} of the codes"
        return tuple(f"z{str(d + 1).translate(_SUBSCRIPT)}"  # type: ignore[return-value]
                     for d in (self.first, self.second))

    def basis(self, directions: np.ndarray) -> np.ndarray:
        """The plane's orthonormal basis ``[L, 2]``, given the principal directions
        ``[L, k]`` (columns, leading first)."""
        if self.kind == "pc":
            return directions[:, [self.first, self.second]].copy()
        basis = np.zeros((directions.shape[0], 2))
        basis[self.first, 0] = basis[self.second, 1] = 1.0
        return basis


def _match(key: str) -> re.Match[str] | None:
    """``key`` read as a plane key (two directions of one kind), or None."""
    match = _KEY.fullmatch(key) if len(key) <= MAX_KEY else None
    return match if match is not None and match[1] == match[3] else None


def describe(latent: int) -> str:
    """What a plane key of a model with ``latent`` dimensions may be (for messages)."""
    if latent <= 2:
        return f"`{DEFAULT}` (this model's map always shows both its latent dimensions)"
    pcs = ", ".join(p.key for p in principal_planes(latent))
    return (f"one of {pcs}, or zI-zJ for two different latent dimensions I and J from 1 "
            f"to {latent}")


def principal_planes(latent: int) -> list[Plane]:
    """The principal-direction planes offered for a model with ``latent`` dimensions."""
    count = min(PC_COUNT, latent)
    return [Plane("pc", i, j) for i in range(count) for j in range(i + 1, count)]


def parse(key: str, latent: int) -> Plane:
    """The plane named ``key`` for a model with ``latent`` dimensions, or `PlaneError`."""
    match = _match(key)
    if match is None:
        raise PlaneError(f"it is not {describe(latent)}")
    plane = Plane(match[1], int(match[2]) - 1, int(match[4]) - 1)
    if latent <= 2:
        if plane.key != DEFAULT:
            raise PlaneError(f"it is not {describe(latent)}")
        return plane
    if plane.kind == "pc" and plane not in principal_planes(latent):
        raise PlaneError(f"the principal pairs offered are "
                         f"{', '.join(p.key for p in principal_planes(latent))}")
    if plane.kind == "z":
        for d in (plane.first, plane.second):
            if not 0 <= d < latent:
                raise PlaneError(f"z{d + 1} is not a dimension of this model "
                                 f"(it has {latent}: z1 to z{latent})")
        if plane.first == plane.second:
            raise PlaneError("the two dimensions must differ")
    return plane


def check_syntax(key: str) -> str:
    """``key`` if it has the form of a plane key (any model), else `PlaneError`."""
    if _match(key) is None:
        raise PlaneError("'plane' must look like pc1-pc2 or z3-z7")
    return key


DIMENSIONS = "z"  # the page's plane-kind choice "two latent dimensions"


def chosen(kind: str, across: int | None, up: int | None, before: Plane,
           ranked: list[int]) -> Plane:
    """The plane the page's controls ask for: ``kind`` is a principal plane's key or
    `DIMENSIONS`, with dimensions ``across`` and ``up`` (0-based) shown beside it.
    Switching to dimensions opens on the two most active ones (``ranked``: the model's
    dimensions, most active first); picking for one axis the other's dimension swaps them."""
    if kind != DIMENSIONS:
        return Plane("pc", *(int(k) - 1 for k in kind.replace("pc", "").split("-")))
    if before.kind != "z" or across is None or up is None:
        return Plane("z", ranked[0], ranked[1])
    if across == up:
        return Plane("z", before.second, before.first)
    return Plane("z", int(across), int(up))
