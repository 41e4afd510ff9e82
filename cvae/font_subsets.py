"""Streamlit's web fonts cut down to what a page of this app can draw, made once (fontTools).

Every Streamlit page downloads, before anything is drawn, its icon font (Material Symbols
Rounded, 375 kB: some 4,300 icons, each a ligature such as ``expand_more``) and its text face
(Source Sans, 170 kB upright, 138 kB italic). Streamlit's own code names each icon it can
draw as ``material/<name>`` (79 names in 1.67), and this app adds ``download``; every other
icon could only come from a page that names it. So the icon font keeps the ligatures of those
names only (8 kB) and the text faces keep the Latin, Greek, punctuation, arrow and
mathematical characters (71 kB upright): a character outside them falls back to the
browser's sans-serif, an icon name outside them would show as its letters (an e2e test
checks every icon on the page is one the font keeps). `cvae.compressed_static` stores the
cut fonts in place of the originals, under the same URLs, when it makes its copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

APP_ICONS = frozenset({"download"})  # icons this app names itself (page.py's download buttons)
ICON_FONT = re.compile(r"MaterialSymbols-Rounded\.[\w-]+\.woff2$")
TEXT_FONT = re.compile(r"SourceSansVF-(Upright|Italic)\.ttf\.[\w-]+\.woff2$")
TEXT_CHARACTERS = [*range(0x20, 0x7F), *range(0xA0, 0x250),  # Basic Latin, Latin-1, Ext. A, B
                   *range(0x370, 0x400),                     # Greek (σ, μ)
                   *range(0x2000, 0x2070),                   # punctuation (– — … ‘ ’ “ ”)
                   *range(0x2070, 0x20D0),                   # super-, subscripts (z₁), €
                   *range(0x2100, 0x2200),                   # letterlike, arrows (→)
                   *range(0x2200, 0x2300)]                   # mathematical operators (≤ ± ∈)
VERSION = "2"  # part of the compressed copy's name: a new cut makes a new copy


def streamlit_icons(bundle: Path) -> frozenset[str]:
    """The icon names Streamlit's frontend code in ``bundle`` can draw, and this app's."""
    found: set[str] = set()
    for script in (bundle / "js").glob("*.js"):
        found.update(re.findall(r"material/([a-z0-9_]+)",
                                script.read_text(encoding="utf-8", errors="ignore")))
    return frozenset(found) | APP_ICONS


def cut(path: Path, bundle: Path) -> bytes | None:
    """The cut of the font at ``path`` (a file of ``bundle``) as WOFF2 bytes, or None when
    it is not one of the fonts cut here."""
    if ICON_FONT.search(path.name):
        return _cut_icons(path, streamlit_icons(bundle))
    if TEXT_FONT.search(path.name):
        return _subset(path, TEXT_CHARACTERS, ["*"])
    return None


def icon_names(font_bytes: bytes) -> frozenset[str]:
    """The icon names an icon font (WOFF2 bytes) draws: the strings its ligatures spell."""
    import io

    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(font_bytes))
    spell = _speller(font)
    return frozenset(spell(first, lig) for table in _ligature_tables(font)
                     for first, ligatures in table.items() for lig in ligatures)


def _cut_icons(path: Path, names: frozenset[str]) -> bytes:
    """The icon font with the ligatures of ``names`` only (and the letters that spell them)."""
    from fontTools.ttLib import TTFont

    font = TTFont(path)
    spell = _speller(font)
    for table in _ligature_tables(font):
        for first in list(table):
            keep = [lig for lig in table[first] if spell(first, lig) in names]
            if keep:
                table[first] = keep
            else:
                del table[first]
    return _subset(font, [ord(c) for c in "abcdefghijklmnopqrstuvwxyz0123456789_ "],
                   ["rlig", "liga"])


def _speller(font: Any) -> Callable[[str, Any], str]:
    """(first glyph, ligature) -> the characters that make the ligature."""
    char = {glyph: chr(code) for code, glyph in font.getBestCmap().items()}
    return lambda first, lig: "".join(char.get(g, "?") for g in (first, *lig.Component))


def _ligature_tables(font: Any) -> list[dict[str, list[Any]]]:
    """Every ligature subtable of the font's GSUB: first glyph -> its ligatures."""
    tables = []
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for sub in lookup.SubTable:
            sub = sub.ExtSubTable if lookup.LookupType == 7 else sub
            if hasattr(sub, "ligatures"):
                tables.append(sub.ligatures)
    return tables


def _subset(font: Any, unicodes: list[int], features: list[str]) -> bytes:
    """``font`` (a path or an open TTFont) kept to ``unicodes`` and the glyphs its layout
    ``features`` reach from them, as WOFF2."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = font if isinstance(font, TTFont) else TTFont(font)
    options = subset.Options()
    options.flavor, options.layout_features = "woff2", features
    options.name_IDs, options.notdef_outline = ["*"], True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out)
    return out.getvalue()
