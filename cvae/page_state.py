"""The explorer page's per-session state: every session key and every transition of it.

The page (``page.py``) lays out widgets and calls the transitions here; nothing else writes a
session key. `PageState` wraps two mappings, Streamlit's ``st.session_state`` and
``st.query_params`` in the app, plain dicts in the tests, so every transition is a pure,
testable step: move the point, recentre on a class, pick a test digit, keep or drop your own
digit, read a shared link.

The point, model, class and grid settings are widget values bound to the URL (so a copied
link reopens the view); the picked digit and the map's plane (`cvae.plane`) are written to
the URL here; your own digit lives only in the session.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from cvae import plane as planes
from cvae.digit_input import DigitInputError, digit_from_bytes, digit_from_data_url
from cvae.explorer import DIGITS, SLIDER_BOUNDS, clamp_point
from cvae.latent import GRID_N, GRID_SPAN
from cvae.urlstate import Choice, Field, Number, Parsed, check_query, read_field

# Session keys. Widget keys are bound to the query string with the same names.
MODEL, DIGIT, Z1, Z2, GRID_SIZE, GRID_SPAN_KEY = "model", "digit", "z1", "z2", "n", "span"
PICK = "pick"
PLANE = "plane"  # the map's plane key (`cvae.plane`), in the session and the URL
PLANE_KIND, PLANE_ACROSS, PLANE_UP = "plane_kind", "plane_across", "plane_up"  # its controls
OWN, OWN_NOTE = "own", "own_note"
LINK_NOTES = "url_notes"
RECENTRE = "recentre"
SAMPLE_SEED = "sample_seed"
# Keys of component and input widgets whose values the page reads in callbacks.
MAP, SCATTER, DRAW, UPLOAD = "map", "scatter", "draw", "upload"



@dataclass(frozen=True)
class OwnDigit:
    """A digit you drew or uploaded (MNIST-style uint8 28x28) and where it came from."""

    image: np.ndarray
    source: str   # shown in captions, e.g. "your drawing" or the file name
    kind: str     # "drawing" or "upload": a new one of a kind replaces the old


def link_fields(models: list[str], n_test: int, latent: int = 2) -> dict[str, Field]:
    """What a shared link may set, and the range of each value (the plane: one of the
    link's model, ``latent`` dimensions)."""
    (x0, x1), (y0, y1) = SLIDER_BOUNDS
    return {
        MODEL: Choice(tuple(models)),
        DIGIT: Choice(tuple(str(d) for d in DIGITS)),
        Z1: Number(x0, x1), Z2: Number(y0, y1),
        GRID_SIZE: Number(GRID_N[0], GRID_N[1], whole=True),
        GRID_SPAN_KEY: Number(GRID_SPAN[0], GRID_SPAN[1]),
        PICK: Number(0, n_test - 1, whole=True),
        PLANE: Parsed(lambda key: planes.parse(key, latent).key),
    }


class PageState:
    """One session's page state over ``state`` (session keys) and ``query`` (the URL)."""

    def __init__(self, state: MutableMapping[str, Any], query: MutableMapping[str, Any]):
        self._state = state
        self._query = query

    # --- reading ---------------------------------------------------------------------------

    @property
    def first_run(self) -> bool:
        """True until the session's link has been read (`read_link`)."""
        return LINK_NOTES not in self._state

    @property
    def point(self) -> tuple[float, float] | None:
        if Z1 not in self._state or Z2 not in self._state:
            return None
        return float(self._state[Z1]), float(self._state[Z2])

    @property
    def picked(self) -> int | None:
        return self._state.get(PICK)

    @property
    def plane(self) -> str:
        """The key of the plane the map shows (`cvae.plane`)."""
        return self._state.get(PLANE) or planes.DEFAULT

    @property
    def own(self) -> OwnDigit | None:
        return self._state.get(OWN)

    @property
    def own_note(self) -> str | None:
        """Why the last drawing or upload was not used, if it was not."""
        return self._state.get(OWN_NOTE)

    @property
    def link_notes(self) -> list[str]:
        """What the opening link asked for but could not be used."""
        return list(self._state.get(LINK_NOTES) or [])

    @property
    def sample_seed(self) -> int:
        return int(self._state.get(SAMPLE_SEED, 0))

    def widget(self, key: str) -> Any:
        """The current value of widget ``key`` (None before it is drawn)."""
        return self._state.get(key)

    # --- transitions -----------------------------------------------------------------------

    def read_link(self, raw: Mapping[str, list[str]], fields: Mapping[str, Field]) -> None:
        """First run: note what the link asked for but could not be used, drop unknown
        parameters from the URL and restore a valid picked digit. (The widgets bound to
        the URL read the valid values themselves.)"""
        self._state[LINK_NOTES] = check_query(raw, fields)
        for key in raw:
            if key not in fields and key in self._query and not key.startswith("embed"):
                del self._query[key]
        index, _ = read_field(PICK, raw.get(PICK, []), fields[PICK])
        self._state[PICK] = index
        if index is None:
            self._query.pop(PICK, None)
        plane, _ = read_field(PLANE, raw.get(PLANE, []), fields[PLANE])
        self._set_plane(str(plane) if plane is not None else planes.DEFAULT)

    def dismiss_link_notes(self) -> None:
        self._state[LINK_NOTES] = []

    def _set_plane(self, key: str) -> None:
        self._state[PLANE] = key
        if key == planes.DEFAULT:
            self._query.pop(PLANE, None)
        else:
            self._query[PLANE] = key

    def choose_plane(self, key: str, xy: tuple[float, float]) -> None:
        """Show plane ``key`` (a checked key) on the map, with the point at ``xy`` (the
        current code's coordinates in that plane)."""
        self._set_plane(key)
        self.move_point(xy)

    def new_model(self) -> None:
        """Another model: its map opens in the default plane, the point at the class
        centre."""
        self._set_plane(planes.DEFAULT)
        self.recentre()

    def recentre(self) -> None:
        """The model or class changed: the point moves to the class centre on the next run."""
        self._state[RECENTRE] = True

    def settle_point(self, centre: tuple[float, float]) -> tuple[float, float]:
        """Start of a run: apply a pending recentre (or place the first point) at ``centre``,
        the class centre in the view; return the point."""
        if self._state.pop(RECENTRE, False) or self.point is None:
            self.move_point(centre)
        return self.point  # type: ignore[return-value]

    def move_point(self, xy: tuple[float, float]) -> tuple[float, float]:
        """Set the latent point (the sliders, and so the URL), clamped to their range."""
        self._state[Z1], self._state[Z2] = clamp_point(xy)
        return self._state[Z1], self._state[Z2]

    def pick(self, index: int, xy: tuple[float, float]) -> None:
        """Pick test digit ``index`` (at view point ``xy``): remember it in the session and
        the URL, and move the point to it."""
        self._state[PICK] = int(index)
        self._query[PICK] = str(int(index))
        self.move_point(xy)

    def clear_pick(self) -> None:
        self._state[PICK] = None
        self._query.pop(PICK, None)

    def keep_own(self, digit: OwnDigit) -> None:
        """Use ``digit`` as your digit (replacing any other) and clear the last note."""
        self._state[OWN] = digit
        self._state[OWN_NOTE] = None

    def drop_own(self, kind: str) -> None:
        """The ``kind`` input was cleared: forget your digit if it came from there."""
        own = self.own
        if own is not None and own.kind == kind:
            self._state[OWN] = None
        self._state[OWN_NOTE] = None

    def reject_own(self, note: str) -> None:
        """An input could not be used: say why (``note``) and keep everything else."""
        self._state[OWN_NOTE] = note

    def use_drawing(self, data_url: str | None) -> None:
        """The canvas changed: its drawing (a PNG data URL; None after Clear) becomes your
        digit, or a note says why it cannot."""
        if data_url is None:
            return self.drop_own("drawing")
        try:
            self.keep_own(OwnDigit(digit_from_data_url(data_url), "your drawing", "drawing"))
        except DigitInputError as exc:
            self.reject_own(f"**That drawing could not be used.** {exc}")

    def use_upload(self, filename: str | None, data: bytes | None) -> None:
        """A file was uploaded (None: removed): it becomes your digit, or a note says why
        it cannot (its size, format and content are checked by `cvae.digit_input`)."""
        if filename is None or data is None:
            return self.drop_own("upload")
        shown = "`" + filename.replace("`", "'") + "`"
        try:
            self.keep_own(OwnDigit(digit_from_bytes(data), shown, "upload"))
        except DigitInputError as exc:
            self.reject_own(f"**{shown} could not be used as a digit.** {exc}")

    def next_samples(self) -> None:
        """Draw a new set of prior samples."""
        self._state[SAMPLE_SEED] = self.sample_seed + 1
