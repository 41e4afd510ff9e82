"""Plotly figures for the explorer, as plain dicts, and parsing their selection events.

The 10,000-point test scatter is built once per model (`scatter_base`); each rerun only
appends a few small overlay traces (`scatter_with_overlays`) to the cached dict, which
Streamlit turns into a figure in milliseconds instead of re-validating every point.

The base dict is cached once per process and shared by every session. Its point arrays are
already immutable (Plotly 7 stores them as base64 typed-array strings), but its dicts and
lists are ordinary mutable Python objects: callers must not modify them, and
`scatter_with_overlays` builds a new top-level dict instead. A page that needs to change
one should cache a copy (``copy.deepcopy`` of the 10,000-point dict: ~0.7 ms here).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from cvae.explorer import ModelView
from cvae.latent import Ellipse
from cvae.palette import CLASS_COLOURS

OWN_COLOUR = "#ff2bbd"  # "your digit" (drawn or uploaded), on the scatter and the pad
SCATTER_HEIGHT = 520


def scatter_base(view: ModelView) -> dict[str, Any]:
    """The test-digit scatter (WebGL), one trace per class, as a figure dict.

    Each point carries ``customdata = [test index, label]`` so a click identifies the digit.
    """
    fig = go.Figure()
    for c in range(10):
        idx = np.flatnonzero(view.labels == c)
        fig.add_trace(go.Scattergl(
            x=view.coords[idx, 0], y=view.coords[idx, 1], mode="markers", name=str(c),
            legendgroup=str(c),
            marker={"size": 4, "color": CLASS_COLOURS[c], "opacity": 0.5},
            customdata=np.stack([idx, view.labels[idx]], axis=-1),
            hovertemplate="test digit #%{customdata[0]} · a %{customdata[1]}<extra></extra>",
        ))
    x_title, y_title = view.axis_titles
    (x0, x1), (y0, y1) = view.bounds
    fig.update_layout(
        height=SCATTER_HEIGHT, margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"title": x_title, "range": [x0, x1], "zeroline": False},
        yaxis={"title": y_title, "range": [y0, y1], "zeroline": False,
               "scaleanchor": "x", "scaleratio": 1},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0,
                "title": {"text": "digit"}, "itemsizing": "constant"},  # above, never over the data
        clickmode="event+select", dragmode="pan", uirevision=view.name,
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig.to_plotly_json()


ELLIPSE_STYLE = {  # what each ellipse is of: legend name, colour, line width
    "prior": ("prior of the class", "#555555", 1.5),
    "picked": ("q(z | x) of the picked digit", "#d62728", 2.0),
    "own": ("q(z | x) of your digit", OWN_COLOUR, 2.0),
}


def ellipse_traces(ellipses: list[dict[str, Any]], points: int = 65) -> list[dict[str, Any]]:
    """Line traces of ellipses as `cvae.model_service.ModelService.ellipses` gives them:
    one trace per ellipse, its 1σ and 2σ contours (the 2σ one dotted) in one line broken by
    a gap, under one legend entry."""
    traces = []
    for e in ellipses:
        name, colour, width = ELLIPSE_STYLE.get(e["of"], (e["of"], "#444444", 1.0))
        shape = Ellipse(tuple(e["centre"]), tuple(e["axes"]), float(e["angle"]))
        for k, sigma in enumerate(e["sigmas"]):
            line = shape.outline(sigma, points)
            traces.append(go.Scattergl(  # WebGL, as the points: SVG lines would lie under them
                x=line[:, 0], y=line[:, 1], mode="lines", name=name,
                legendgroup=f"ellipse-{e['of']}", showlegend=k == 0, hoverinfo="skip",
                line={"color": colour, "width": width, "dash": "solid" if k == 0 else "dot"},
                opacity=0.7 if e["of"] == "prior" else 0.95,
            ).to_plotly_json())
    return traces


def overlay_traces(view: ModelView, digit: int, point: tuple[float, float] | None,
                   picked: int | None = None,
                   own: tuple[float, float] | None = None,
                   ellipses: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Class centres (the selected one larger), the picked digit, the user's own digit
    (view coordinates of its code), the posterior and prior ellipses (`ellipse_traces`)
    and the current point (none when ``point`` is None)."""
    centres = view.centre_coords
    label = "learned class means" if view.class_mean_prior else "class means of the codes"
    sizes = [22 if c == digit else 12 for c in range(10)]
    traces = [go.Scattergl(
        x=centres[:, 0], y=centres[:, 1], mode="markers+text", name=label,
        text=[str(c) for c in range(10)], textposition="top center",
        textfont={"size": 14, "color": "#222"},
        marker={"symbol": "diamond", "size": sizes, "color": CLASS_COLOURS[:10],
                "line": {"width": 1.5, "color": "#222"}},
        hovertemplate="mean of class %{text}<extra></extra>",
    ).to_plotly_json(), *ellipse_traces(ellipses or [])]
    if picked is not None:
        traces.append(go.Scattergl(
            x=[view.coords[picked, 0]], y=[view.coords[picked, 1]], mode="markers",
            name=f"picked digit #{picked}", hoverinfo="skip",
            marker={"symbol": "circle-open", "size": 20, "color": "#d62728",
                    "line": {"width": 3}},
        ).to_plotly_json())
    if own is not None:
        traces.append(go.Scattergl(
            x=[own[0]], y=[own[1]], mode="markers", name="your digit",
            hovertemplate="your digit<extra></extra>",
            marker={"symbol": "star", "size": 20, "color": OWN_COLOUR,
                    "line": {"width": 1.5, "color": "#222"}},
        ).to_plotly_json())
    if point is None:
        return traces
    traces.append(go.Scattergl(
        x=[point[0]], y=[point[1]], mode="markers", name="current point", hoverinfo="skip",
        marker={"symbol": "x", "size": 16, "color": "#111", "line": {"width": 2,
                                                                     "color": "#fff"}},
    ).to_plotly_json())
    return traces


def scatter_with_overlays(base: dict[str, Any], overlays: list[dict[str, Any]]) -> dict[str, Any]:
    """A new figure dict sharing ``base``'s (large) traces, plus ``overlays``; ``base``
    is not modified."""
    return {"data": [*base["data"], *overlays], "layout": base["layout"]}


def selected_index(selection: object, n_points: int) -> int | None:
    """The test-digit index picked in a Plotly selection event, else ``None``.

    ``selection`` is what ``st.plotly_chart(on_select=...)`` returns; points carry the
    digit's index as the first element of ``customdata``, which arrives as a list or, for
    customdata sent as a typed array, as a ``{"0": index, "1": label}`` dict. Anything
    malformed or out of range yields ``None``.
    """
    try:
        points = selection["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError, IndexError):
        return None
    if not isinstance(points, list | tuple):
        return None
    for point in points:
        if not isinstance(point, dict):
            continue
        custom = point.get("customdata")
        if isinstance(custom, dict):  # a typed-array row from Plotly.js: {"0": i, "1": label}
            custom = custom.get("0")
        if isinstance(custom, list | tuple):
            custom = custom[0] if custom else None
        if isinstance(custom, bool):
            continue
        if isinstance(custom, int | float) and float(custom).is_integer():
            index = int(custom)
            if 0 <= index < n_points:
                return index
    return None
