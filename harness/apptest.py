"""Helpers for driving app.py with Streamlit's AppTest: open a session (optionally from a
link) and read what the page shows."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from harness.paths import ROOT

APP = ROOT / "page.py"  # the page script; app.py is the server around it


def run_app(query: dict[str, str | list[str]] | None = None, timeout: float = 180) -> AppTest:
    """A fresh session of the app, optionally opened from a link with ``query``."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def image_url(at: AppTest, caption_part: str) -> str:
    """The media URL (a content hash) of the image whose caption contains ``caption_part``."""
    for image in at.get("image"):
        for url, caption in zip(image.value, image.captions, strict=True):
            if caption_part in caption:
                return url
    captions = [c for image in at.get("image") for c in image.captions]
    raise AssertionError(f"no image captioned with {caption_part!r}; captions: {captions}")


def map_data(at: AppTest) -> dict | None:
    """The view state sent to the latent map component, or None without the map."""
    maps = [c for c in at.get("bidi_component") if c.key == "map"]
    return json.loads(maps[0].proto.json) if maps else None


def decoded_digit(at: AppTest) -> str:
    """What identifies the decoded digit shown: the map's grey levels (base64), or the
    media URL of the fallback image."""
    data = map_data(at)
    return data["image"] if data is not None else image_url(at, "p(x | z) at")


def class_grid(at: AppTest) -> str:
    """The media URL of the class-mean-shifted grid."""
    return image_url(at, "offset by the class")


def widget_values(at: AppTest) -> dict[str, object]:
    """The values of the page's main widgets, by key."""
    keys = ("model", "digit", "z1", "z2", "n", "span")
    out: dict[str, object] = {}
    for kind in ("selectbox", "radio", "slider"):
        for widget in at.get(kind):
            if widget.key in keys:
                out[widget.key] = widget.value
    return out


def assert_healthy(at: AppTest) -> None:
    """Fail if the page shows an exception or an error."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
