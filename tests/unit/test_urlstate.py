"""Link checking rules (mirroring Streamlit's URL binding) as plain functions."""

from __future__ import annotations

import pytest

from cvae.urlstate import Choice, Number, check_query, read_field, shown

Z = Number(-4.0, 4.0)
N = Number(3, 25, whole=True)
MODEL = Choice(("class-prior-2d", "tutorial-2d"))


@pytest.mark.parametrize("values, field, expected, noted", [
    (["tutorial-2d"], MODEL, "tutorial-2d", False),
    (["../../etc/passwd"], MODEL, None, True),
    (["nope", "tutorial-2d"], MODEL, "tutorial-2d", False),   # last value wins
    (["tutorial-2d", "nope"], MODEL, None, True),
    (["1.5"], Z, 1.5, False),
    (["4.0001"], Z, None, True),
    (["nan"], Z, None, True),
    (["1e999"], Z, None, True),
    (["1", "2"], Z, None, True),                             # one number only
    (["", "2"], Z, 2.0, False),                              # empty repeats are dropped
    ([""], Z, None, True),
    (["7"], N, 7, False),
    (["7.9"], N, 7, True),                                    # truncated, and said so
    (["25.5"], N, None, True),
    ([], Z, None, False),
])
def test_read_field(values, field, expected, noted):
    value, note = read_field("f", values, field)
    assert value == expected
    assert (note is not None) == noted


def test_check_query_notes_unknown_and_skips_reserved():
    notes = check_query({"utm": ["1"], "embed": ["true"], "z1": ["x"]}, {"z1": Z})
    assert len(notes) == 2
    assert any("unknown parameter `utm`" in n for n in notes)


def test_shown_is_safe_inside_markdown_code():
    text = shown("`rm -rf`\x00" + "a" * 100)
    assert "`" not in text and "\x00" not in text and len(text) <= 40
