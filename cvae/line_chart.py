"""The model card's training curve as a small inline SVG (a few kB), drawn on the server.

It replaces a Plotly chart whose browser chunk is 4.7 MB: a static line chart with axes,
a legend, a tooltip per validation point (``<title>``) and a text summary for screen
readers (``role="img"`` with ``<title>`` and ``<desc>``) serves the model card as well.
The ``viewBox`` fixes its aspect ratio, so its height is known before it is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 480, 270
LEFT, RIGHT, TOP, BOTTOM = 58, 12, 34, 40
TEXT = "#31333f"    # Streamlit's light-theme text colour
GRID = "#d5d7dd"
REFERENCE = "#5c5f6b"  # 6.4:1 on white


@dataclass(frozen=True)
class Series:
    """One line: its name, values per epoch, colour and style."""

    name: str
    values: Sequence[float]
    colour: str
    dashed: bool = False
    markers: bool = False


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (about ``count`` of them)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"ticks need finite bounds, got {lo}, {hi}")
    if hi <= lo:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 10))
    return ticks


def _fmt(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def line_chart_svg(epochs: Sequence[int], series: Sequence[Series], *, title: str,
                   summary: str, x_title: str, y_title: str,
                   reference: tuple[float, str] | None = None) -> str:
    """An SVG line chart of ``series`` over ``epochs`` (a horizontal ``reference`` line
    with its label optional); ``title`` and ``summary`` are its accessible name and
    description."""
    if not epochs or not series or any(len(s.values) != len(epochs) for s in series):
        raise ValueError("every series needs one value per epoch, and there must be one")
    values = [v for s in series for v in s.values] + ([reference[0]] if reference else [])
    y_ticks = nice_ticks(min(values), max(values))
    x_lo, x_hi = min(epochs), max(epochs)
    x_ticks = [t for t in nice_ticks(x_lo, x_hi, 6) if x_lo <= t <= x_hi and t == int(t)]
    y_lo, y_hi = y_ticks[0], y_ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(epoch: float) -> float:
        return LEFT + (epoch - x_lo) / max(1, x_hi - x_lo) * plot_w

    def py(value: float) -> float:
        return TOP + (y_hi - value) / (y_hi - y_lo) * plot_h

    out = [f'<svg class="cvae-line-chart" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="elbo-t elbo-d" '
           f'style="width:100%;max-width:{WIDTH * 1.25:.0f}px;height:auto;display:block" '
           f'font-family="sans-serif" font-size="13" fill="{TEXT}">',
           f'<title id="elbo-t">{escape(title)}</title><desc id="elbo-d">{escape(summary)}'
           "</desc>"]
    for t in y_ticks:
        y = py(t)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>'
                   f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    for t in x_ticks:
        out.append(f'<text x="{px(t):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">'
                   f"{_fmt(t)}</text>")
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" '
               f'y2="{TOP + plot_h}" stroke="{TEXT}" stroke-width="1"/>'
               f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 4}" text-anchor="middle">'
               f"{escape(x_title)}</text>"
               f'<text transform="translate(14 {TOP + plot_h / 2:.0f}) rotate(-90)" '
               f'text-anchor="middle">{escape(y_title)}</text>')
    if reference is not None:
        y = py(reference[0])
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{REFERENCE}" stroke-width="1.5" stroke-dasharray="6 4"/>'
                   f'<text x="{WIDTH - RIGHT - 4}" y="{y - 5:.1f}" text-anchor="end" '
                   f'fill="{REFERENCE}">{escape(reference[1])}</text>')
    legend_x = LEFT
    for s in series:
        points = " ".join(f"{px(e):.1f},{py(v):.1f}" for e, v in zip(epochs, s.values,
                                                                      strict=True))
        dash = ' stroke-dasharray="2 4"' if s.dashed else ""
        out.append(f'<polyline points="{points}" fill="none" stroke="{s.colour}" '
                   f'stroke-width="2"{dash}/>')
        if s.markers:
            out.extend(f'<circle cx="{px(e):.1f}" cy="{py(v):.1f}" r="3" fill="{s.colour}">'
                       f"<title>{escape(s.name)}, epoch {e}: {v:.1f}</title></circle>"
                       for e, v in zip(epochs, s.values, strict=True))
        out.append(f'<line x1="{legend_x}" x2="{legend_x + 22}" y1="14" y2="14" '
                   f'stroke="{s.colour}" stroke-width="2"{dash}/>'
                   f'<text x="{legend_x + 28}" y="18">{escape(s.name)}</text>')
        legend_x += 28 + 8 * len(s.name) + 24
    out.append("</svg>")
    return "".join(out)


def elbo_svg(history: Sequence[dict[str, float]], published: float | None = None) -> str:
    """Validation (and training) ELBO per epoch, with the write-up's figure if any."""
    epochs = [int(row["epoch"]) for row in history]
    series = []
    if history and "elbo" in history[0]:
        series.append(Series("train ELBO", [r["elbo"] for r in history], "#b5651d",
                             dashed=True))
    if history and "val_elbo" in history[0]:
        series.append(Series("validation ELBO", [r["val_elbo"] for r in history], "#4e79a7",
                             markers=True))
    if not series:
        raise ValueError("the training history has no ELBO to draw")
    parts = [f"{s.name} from {s.values[0]:.1f} at epoch {epochs[0]} to {s.values[-1]:.1f} "
             f"at epoch {epochs[-1]}" for s in series]
    if published is not None:
        parts.append(f"the write-up reports {published}")
    return line_chart_svg(
        epochs, series, title="ELBO per training epoch (nats per digit)",
        summary="; ".join(parts) + ".", x_title="epoch", y_title="nats per digit",
        reference=None if published is None else (published, f"write-up: {published}"))
