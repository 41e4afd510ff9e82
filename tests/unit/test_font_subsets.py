"""Streamlit's web fonts cut to what the page can draw (`cvae.font_subsets`), on the real
fonts of the installed Streamlit, and stored in place of the originals by the compressed
copy (`cvae.compressed_static`)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from cvae import font_subsets
from cvae.compressed_static import prepare, streamlit_bundle


def bundle_font(pattern: str) -> Path:
    found = sorted((streamlit_bundle() / "media").glob(pattern))
    assert found, f"Streamlit's bundle has no {pattern}"
    return found[0]


@pytest.fixture(scope="module")
def icons() -> tuple[bytes, bytes]:
    """The original icon font and its cut."""
    path = bundle_font("MaterialSymbols-Rounded.*.woff2")
    return path.read_bytes(), font_subsets.cut(path, streamlit_bundle())


def test_the_icon_font_keeps_every_icon_streamlit_and_the_app_name_and_no_other(icons):
    original, cut = icons
    drawable = font_subsets.icon_names(original)
    assert len(drawable) > 3000  # the source was read: thousands of icons
    wanted = font_subsets.streamlit_icons(streamlit_bundle())
    assert {"keyboard_double_arrow_left", "expand_more", "upload", "download"} <= wanted
    assert font_subsets.icon_names(cut) == wanted & drawable
    assert len(cut) < len(original) / 20


def test_the_text_font_keeps_the_characters_the_page_writes():
    path = bundle_font("SourceSansVF-Upright.*.woff2")
    cut = font_subsets.cut(path, streamlit_bundle())
    font = TTFont(io.BytesIO(cut))
    kept = set(font.getBestCmap())
    page_text = "Latent point ×15 · test ELBO −95.3 nats ≤ σ μ ± → “digit” – …é z₁ z₂"
    assert {ord(c) for c in page_text if c != " "} - kept == set()
    assert ord("Ж") not in kept and ord("中") not in kept  # a fallback font draws these
    assert "fvar" in font  # still one variable font for every weight
    assert len(cut) < path.stat().st_size * 0.6


def test_other_files_are_not_cut(tmp_path):
    other = tmp_path / "KaTeX_Main-Regular.abc.woff2"
    other.write_bytes(b"not read")
    assert font_subsets.cut(other, streamlit_bundle()) is None


def test_the_compressed_copy_stores_the_cut_under_the_original_name(tmp_path, monkeypatch):
    src = tmp_path / "bundle"
    (src / "media").mkdir(parents=True)
    (src / "media" / "MaterialSymbols-Rounded.abc.woff2").write_bytes(b"the original")
    (src / "media" / "Other.woff2").write_bytes(b"another font")
    monkeypatch.setattr(font_subsets, "cut", lambda path, bundle: (
        b"the cut" if path.name.startswith("Material") and bundle == src else None))
    files = prepare(src, tmp_path / "cache") / "files" / "media"
    copy = files / "MaterialSymbols-Rounded.abc.woff2"
    assert copy.read_bytes() == b"the cut" and not copy.is_symlink()
    assert copy.stat().st_mode & 0o044 == 0o044  # every user may read it (a container's)
    assert (files / "Other.woff2").read_bytes() == b"another font"
    assert (src / "media" / "MaterialSymbols-Rounded.abc.woff2").read_bytes() == b"the original"
