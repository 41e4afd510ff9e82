"""The capacity tool's Streamlit protocol pieces, offline (the run against a real server is
in tests/server/test_capacity_protocol.py)."""

from __future__ import annotations

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element

from benchmarks import capacity
from harness.st_protocol import (
    Widget,
    check_loopback,
    rerun_message,
    stream_url,
    widget_from_element,
)


def test_stream_url_and_loopback_guard():
    assert stream_url("http://127.0.0.1:8501") == "ws://127.0.0.1:8501/_stcore/stream"
    assert stream_url("https://localhost/app/") == "wss://localhost/app/_stcore/stream"
    check_loopback("http://localhost:8080")
    with pytest.raises(ValueError, match="non-loopback"):
        check_loopback("http://example.com:8501")


def test_rerun_message_carries_the_browser_state():
    widgets = [Widget("$$ID-abc-z1", "slider", [0.25], "frag"),
               Widget("$$ID-def-digit", "radio", "8", "", ["0", "8"])]
    msg = BackMsg()
    msg.ParseFromString(rerun_message("digit=8", widgets, "page", ["h1", "h2"], "frag"))
    cs = msg.rerun_script
    assert (cs.query_string, cs.page_script_hash, cs.fragment_id) == ("digit=8", "page", "frag")
    assert list(cs.cached_message_hashes) == ["h1", "h2"]
    states = {w.id: w for w in cs.widget_states.widgets}
    assert list(states["$$ID-abc-z1"].double_array_value.data) == [0.25]
    assert states["$$ID-def-digit"].string_value == "8"
    assert widgets[0].key == "z1"


def test_widgets_parsed_from_deltas():
    el = Element()
    el.slider.id, el.slider.min, el.slider.max = "$$ID-1-z2", -4.0, 4.0
    el.slider.default.append(0.0)
    w = widget_from_element(el, "latent-frag")
    assert (w.key, w.value, w.fragment_id, w.bounds) == ("z2", [0.0], "latent-frag", (-4, 4))
    el.slider.value.append(1.5)
    el.slider.set_value = True
    assert widget_from_element(el, "").value == [1.5]
    radio = Element()
    radio.radio.id = "$$ID-2-digit"
    radio.radio.options.extend(str(d) for d in range(10))
    radio.radio.default = 3
    assert widget_from_element(radio, "").value == "3"
    text = Element()
    text.markdown.body = "hi"
    assert widget_from_element(text, "") is None


def test_max_visitors_stops_at_the_first_miss():
    rows = [{"visitors": 10, "p95_ms": 80.0, "errors": 0, "mixups": 0},
            {"visitors": 20, "p95_ms": 290.0, "errors": 0, "mixups": 0},
            {"visitors": 40, "p95_ms": 500.0, "errors": 0, "mixups": 0},
            {"visitors": 70, "p95_ms": 200.0, "errors": 0, "mixups": 0}]
    assert capacity.max_visitors(rows) == 20
    rows[0]["mixups"] = 1
    assert capacity.max_visitors(rows) == 0


def test_a_burst_splits_actions_at_the_last_page_open():
    sample = capacity.Sample
    samples = [sample("step", 10.5, 900.0, 1, True), sample("digit", 11.9, 700.0, 1, True),
               sample("step", 12.0, 20.0, 1, True), sample("decode", 12.5, 5.0, 1, True),
               sample("grid", 13.0, 30.0, 1, True), sample("step", 14.0, float("nan"), 0, False)]
    split = capacity.burst_split(samples, t0=10.0, opened_at=[11.0, 12.0, 11.5])
    assert split["last_open_s"] == 2.0
    assert split["while_pages_open"] == {"actions": 2, "p50_ms": 700.0, "p95_ms": 900.0,
                                         "p99_ms": 900.0}
    # a failed action counts as an action but has no latency; decodes are not actions
    assert split["after_pages_open"] == {"actions": 3, "p50_ms": 20.0, "p95_ms": 30.0,
                                         "p99_ms": 30.0}


def test_machine_share_separates_busy_idle_and_stolen_time():
    from benchmarks.common import machine_cpu_share, machine_cpu_ticks

    assert machine_cpu_share((100, 300, 0), (160, 320, 20)) == {
        "machine_busy_pct": 60.0, "machine_steal_pct": 20.0}
    busy, idle, steal = machine_cpu_ticks()
    assert min(busy, idle, steal) >= 0 and busy + idle > 0
