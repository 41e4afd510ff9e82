"""What the page sends that makes the browser fetch a heavy chunk (AppTest): Plotly only for
the fallback scatter, the code highlighter and JSON viewer only once the config is opened,
no emoji short-code plugin for a time stamp."""

from __future__ import annotations

import re

from harness.apptest import assert_healthy

# Streamlit 1.67's frontend loads its remark-emoji plugin (265 kB) for Markdown matching this.
EMOJI_SHORTCODE = re.compile(r":(?!material/|streamlit:)[\w+-][\w_+-]*:")


def test_training_curve_is_inline_svg_not_a_plotly_chart(default_app):
    at = default_app
    assert_healthy(at)
    curves = [h.proto.body for h in at.get("html") if "cvae-line-chart" in h.proto.body]
    assert len(curves) == 1 and 'role="img"' in curves[0] and "<desc" in curves[0]
    assert not at.get("plotly_chart"), "with the map on, the page needs no Plotly chunk"


def test_config_is_sent_only_once_its_expander_is_opened(default_app):
    at = default_app
    assert not at.get("code") and not at.get("json")
    at.session_state["config_open"] = True
    at.run()
    assert_healthy(at)
    (code,) = at.get("code")
    assert "cvae.train" in code.value
    assert at.get("json")


def test_no_markdown_asks_for_the_emoji_plugin(default_app):
    at = default_app
    texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any("finished" in t for t in texts)
    assert [t for t in texts if EMOJI_SHORTCODE.search(t)] == []
