"""Checking a shared link's query string, so the page can say what it ignored.

Streamlit's ``bind="query-params"`` seeds widgets from the URL and silently drops values it
cannot use. `check_query` applies the same rules (last value wins for choices; exactly one
finite, in-range number for sliders, truncated for whole-number sliders) and returns a
plain-language note for each field it rejects, plus the parameters the page does not know.
Values the page reads from the link itself (`Parsed`, e.g. the map's plane) are checked by
their own parser, the last one given counting.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# Streamlit's own parameters: never ours to complain about or remove.
RESERVED = frozenset({"embed", "embed_options"})
MAX_SHOWN = 40


@dataclass(frozen=True)
class Choice:
    """A value that must be one of ``options`` (compared as strings)."""

    options: tuple[str, ...]

    def describe(self) -> str:
        if len(self.options) <= 10:
            return "one of " + ", ".join(self.options)
        return f"one of {len(self.options)} known values"


@dataclass(frozen=True)
class Number:
    """A finite number in ``[lo, hi]``; ``whole`` numbers are truncated like Streamlit's."""

    lo: float
    hi: float
    whole: bool = False

    def describe(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} from {self.lo:g} to {self.hi:g}"


@dataclass(frozen=True)
class Parsed:
    """A text value that ``parse`` checks and turns into the form the page uses (the last
    one given, as for choices); ``parse`` raises `ValueError` saying why it refuses one."""

    parse: Callable[[str], str]

    def read(self, value: str) -> tuple[str | None, str | None]:
        try:
            return self.parse(value), None
        except ValueError as exc:
            return None, str(exc)


Field = Choice | Number | Parsed


def shown(value: str) -> str:
    """A URL value made safe to show inside Markdown code: printable, short, no backticks."""
    text = "".join(ch if ch.isprintable() else "?" for ch in value).replace("`", "'")
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _as_number(raw: str) -> float | None:
    try:
        value = float(raw)
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


Value = str | float | None


def read_field(name: str, values: Sequence[str], field: Field) -> tuple[Value, str | None]:
    """The value the page uses from ``values`` (all occurrences of ``name``) and, when the
    link's value is rejected or altered, a note saying so."""
    if not values:
        return None, None
    if isinstance(field, Parsed):
        parsed, why = field.read(values[-1])
        if why is None:
            return parsed, None
        return None, f"`{shown(name)}={shown(values[-1])}` was ignored: {why}"
    if isinstance(field, Choice):
        value = values[-1]
        if value in field.options:
            return value, None
        return None, f"`{shown(name)}={shown(value)}` is not {field.describe()}"
    given = [v for v in values if v != ""]  # Streamlit drops empty repeats of a number
    if not given:
        return None, f"`{shown(name)}` is empty; it takes {field.describe()}"
    if len(given) != 1:
        return None, f"`{shown(name)}` was given {len(given)} times; it takes a single number"
    number = _as_number(given[0])
    if number is None or not field.lo <= number <= field.hi:
        return None, f"`{shown(name)}={shown(given[0])}` is not {field.describe()}"
    if field.whole:
        whole = int(number)
        note = (None if number == whole else
                f"`{shown(name)}={shown(given[0])}` is not a whole number; using {whole}")
        return whole, note
    return number, None


def check_query(query: Mapping[str, Sequence[str]], fields: Mapping[str, Field]) -> list[str]:
    """Notes for every unusable known field and every unknown parameter in ``query``."""
    notes = []
    for name, values in query.items():
        if name in RESERVED:
            continue
        if name not in fields:
            notes.append(f"unknown parameter `{shown(name)}` ignored")
            continue
        _, note = read_field(name, values, fields[name])
        if note:
            notes.append(note)
    return notes
