"""Hostile and random links through AppTest: never an exception, every unusable field noted.

Each generated field carries its own verdict (usable or not, and the value the page must
then show), so the test checks the page end to end: Streamlit's URL binding, the app's
notes and the resulting widget state must all agree.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvae import catalog
from harness.apptest import run_app, widget_values

# A quick subset by default; CI (.ci/run) sets CVAE_FUZZ_LINKS=1000 for the full run.
N_LINKS = int(os.environ.get("CVAE_FUZZ_LINKS", "100"))
DEFAULTS = {"model": "class-prior-2d", "digit": 8, "n": 15, "span": 0.95}
FIELDS = ("model", "digit", "z1", "z2", "n", "span", "pick")

HOSTILE = ["", " ", "nan", "NaN", "inf", "-Infinity", "1e309", "-1e999", "0x10", "1/2",
           "../../etc/passwd", "..%2F..%2Fetc", "/etc/shadow", "C:\\Windows\\win.ini",
           "<script>alert(1)</script>", "' OR 1=1 --", "${jndi:ldap://x}", "\x00", "%00",
           "\u202e8", "😀", "true", "None", "[]", "{}", "9" * 400, "A" * 5000, "`rm -rf`"]


@dataclass(frozen=True)
class Value:
    text: str
    usable: bool
    expect: object = None  # what the widget must show when usable


def _number_values(lo: float, hi: float, whole: bool,
                   outside: tuple[float, float] | None = None,
                   usable: list[float] | None = None) -> st.SearchStrategy[Value]:
    """Usable numbers in [lo, hi] (or from ``usable``); unusable ones below/above
    ``outside`` (default lo/hi) and hostile strings."""
    below, above = outside or (lo, hi)
    if usable is not None:
        ok = st.sampled_from(usable).map(lambda v: Value(repr(v) if not whole else str(v),
                                                          True, v))
    elif whole:
        ok = st.integers(int(lo), int(hi)).map(lambda v: Value(str(v), True, v))
    else:
        ok = (st.floats(lo, hi, allow_nan=False).map(lambda v: round(v, 2))
              .map(lambda v: Value(repr(v), True, v)))
    out_of_range = st.one_of(st.floats(above + 1e-3, 1e12), st.floats(-1e12, below - 1e-3)).map(
        lambda v: Value(repr(v), False))
    hostile = st.sampled_from(HOSTILE).map(lambda t: Value(t, False))
    strategies = [ok, out_of_range, hostile]
    if whole:  # a fraction is noted and truncated, as Streamlit does
        strategies.append(st.integers(int(lo), int(hi) - 1).map(
            lambda v: Value(f"{v}.5", False, v)))
    return st.one_of(*strategies)


def _choice_values(options: list[str], convert) -> st.SearchStrategy[Value]:
    return st.one_of(st.sampled_from(options).map(lambda t: Value(t, True, convert(t))),
                     st.sampled_from(HOSTILE).map(lambda t: Value(t, False)),
                     st.text(max_size=30).filter(lambda t: t not in options)
                     .map(lambda t: Value(t, False)))


VALUES = {
    "model": _choice_values(catalog.bundle_names(), str),
    "digit": _choice_values([str(d) for d in range(10)], int),
    # usable points from [-3, 3], inside the one slider range every model shares
    # (cvae.explorer.SLIDER_BOUNDS, +-12); unusable ones beyond +-1000, far outside it
    "z1": _number_values(-3.0, 3.0, whole=False, outside=(-1000.0, 1000.0)),
    "z2": _number_values(-3.0, 3.0, whole=False, outside=(-1000.0, 1000.0)),
    # usable grid settings come from a few values (the bounds among them) so the page's
    # grid cache serves most links: this test is about reading links, not decoding grids
    "n": _number_values(3, 25, whole=True, usable=[3, 7, 15, 25]),
    "span": _number_values(0.6, 0.99, whole=False, usable=[0.6, 0.8, 0.95, 0.99]),
    "pick": _number_values(0, 9999, whole=True),
}


@st.composite
def links(draw) -> tuple[dict[str, list[str]], dict[str, Value], list[str]]:
    chosen = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=len(FIELDS)))
    fields = {name: draw(VALUES[name]) for name in chosen}
    query = {name: [v.text] for name, v in fields.items()}
    unknown = draw(st.lists(st.sampled_from(["utm_source", "x", "Model", "z3", "DIGIT",
                                             "<b>", "z1 "]), unique=True, max_size=2))
    for name in unknown:
        query[name] = [draw(st.sampled_from(HOSTILE))]
    if fields and draw(st.booleans()):  # repeat one known key
        name = draw(st.sampled_from(sorted(fields)))
        extra = draw(st.sampled_from(HOSTILE))
        query[name] = [extra, *query[name]]
        # Streamlit's rules: for choices the last value wins; a number takes exactly one
        # non-empty value (empty repeats are dropped)
        if name not in ("model", "digit") and extra != "":
            fields[name] = Value(fields[name].text, False)
    return query, fields, unknown


def _check(query: dict[str, list[str]], fields: dict[str, Value], unknown: list[str]) -> None:
    at = run_app({k: v if len(v) > 1 else v[0] for k, v in query.items()})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    notes = at.warning[0].value if at.warning else ""
    for name, value in fields.items():
        noted = re.search(rf"`{re.escape(name)}[=`]", notes) is not None  # not `z1 ` etc.
        assert noted != value.usable, (name, value, notes)
    for name in unknown:
        assert "unknown parameter" in notes, (name, notes)
        assert name not in at.query_params
    state = widget_values(at)
    for name, default in DEFAULTS.items():
        value = fields.get(name)
        expected = value.expect if value and value.expect is not None else default
        assert state[name] == expected, (name, value, state)
    for name in ("z1", "z2"):
        value = fields.get(name)
        if value and value.usable:
            assert math.isclose(state[name], value.expect, abs_tol=1e-9), (name, state)
    pick = fields.get("pick")
    picked = [m.value for m in at.markdown if m.value.startswith("**Picked test digit")]
    if pick and pick.expect is not None:
        assert picked and f"#{pick.expect}**" in picked[0], (pick, picked)
    else:
        assert not picked


@settings(max_examples=N_LINKS, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(links())
def test_random_and_hostile_links(link):
    _check(*link)


@pytest.mark.parametrize("text", HOSTILE)
def test_each_hostile_value_in_every_field(text):
    fields = {name: Value(text, False) for name in FIELDS}
    _check({name: [text] for name in FIELDS}, fields, [])
