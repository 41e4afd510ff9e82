"""CVAE Explorer: variational autoencoders on MNIST, live in the browser.

This file is the Streamlit page: layout and state only. Models, decoding and all maths
live in the `cvae` package. Page state (model, class, latent point, grid settings) is bound
to the URL query string, so a copied link reopens the same view.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from cvae import catalog, digit_input, figures, images, latent_map, streamlit_workarounds
from cvae.serving import registry
from cvae.bundle import BundleError, read_progress
from cvae.data import Split
from cvae.explorer import DEFAULT_DIGIT, SLIDER_BOUNDS, ModelView
from cvae.latent import interpolate, selected_index
from cvae.model_card import ModelInfo
from cvae.recipes import DEFAULT_RECIPE
from cvae.urlstate import Choice, Number, check_query, read_field

GRID_N = (3, 25, 15)          # min, max, default (the write-up used 15)
GRID_SPAN = (0.6, 0.99, 0.95)  # upper normal quantile of the grid (the write-up: 0.05-0.95)
DIGITS = list(range(10))

# `streamlit run app.py` imports this file (as a module, not "__main__") for its ASGI app:
# Streamlit's server plus the live decode routes. The page itself runs as "__main__".
if __name__ != "__main__":
    from cvae.live.routes import live_routes

    app = st.App(__file__, routes=live_routes())
else:
    st.set_page_config(page_title="CVAE Explorer", page_icon="✍️", layout="wide")
    st.html("<style>img {image-rendering: pixelated;}</style>")


# --- cached model work (shared by every session of this server) ---------------------------

@st.cache_resource(show_spinner=False)
def test_split() -> Split:
    return registry.test_split()


@st.cache_resource(show_spinner="Loading the model…")
def model_core(name: str):  # noqa: ANN201 - returns cvae.serving.core.ModelCore (imports TensorFlow)
    core = registry.core(name)  # the process-wide core, shared with the live routes
    streamlit_workarounds.keep_models_warm()  # every rerun would otherwise reset TensorFlow
    return core


@st.cache_resource(show_spinner="Encoding the 10,000 test digits…")
def model_view(name: str) -> ModelView:
    return registry.view(name)  # built once per process, shared with the live routes


@st.cache_resource(show_spinner=False)
def scatter_base(name: str) -> dict:
    return figures.scatter_base(model_view(name))


@st.cache_resource(show_spinner=False)
def progress_arrays(name: str) -> dict[str, np.ndarray]:
    return read_progress(catalog.bundle_path(name))


@st.cache_resource(show_spinner=False)
def judge():  # noqa: ANN201 - returns cvae.judge.Judge (imports TensorFlow)
    from cvae import judge as judge_module

    return judge_module.load()


@st.cache_data(max_entries=512, show_spinner=False)
def class_grid_png(name: str, digit: int, n: int, span: float) -> bytes:
    probs = model_core(name).decode(model_view(name).class_grid(digit, n, span), digit)
    return images.grid_png(probs, n, n, scale=max(1, 560 // (28 * n)))


@st.cache_data(max_entries=256, show_spinner=False)
def samples_png(name: str, digit: int, seed: int) -> bytes:
    codes = model_view(name).prior_samples(digit, 16, seed)
    return images.grid_png(model_core(name).decode(codes, digit), 2, 8, scale=2, gap=1)


@st.cache_data(max_entries=256, show_spinner=False)
def morph_png(name: str, between: str, i: int, j: int) -> bytes:
    """A 10-step strip between two class centres (``between="classes"``) or two test
    digits' codes (``"digits"``). A decoder that reads the label draws each step with the
    label of the nearer end."""
    view = model_view(name)
    ends = view.codes if between == "digits" else view.centres
    labels = (view.labels[i], view.labels[j]) if between == "digits" else (i, j)
    strip = model_core(name).decode(interpolate(ends[i], ends[j], 10),
                                    np.repeat(labels, 5))
    return images.grid_png(strip, 1, 10, scale=2, gap=1)


@st.cache_resource(show_spinner=False)
def model_info(name: str) -> ModelInfo:
    core = model_core(name)
    return ModelInfo.from_bundle(core.config, core.metrics)


@st.cache_resource(show_spinner=False)
def elbo_figure(name: str) -> dict:
    core = model_core(name)
    return figures.elbo_curve(core.metrics.get("history", []),
                              model_info(name).published_elbo).to_plotly_json()


@st.cache_data(max_entries=64, show_spinner=False)
def own_digit_result(name: str, digit28: np.ndarray) -> dict:
    """Your digit through the model: the judge's reading of it, the view point of its code
    (encoded with that class when the model reads labels), its reconstruction, for a
    class-prior model the likeliest class, and for a decoder that reads the label your
    digit's style drawn as all ten classes."""
    core, view = model_core(name), model_view(name)
    seen = digit_input.model_input(digit28)
    odds = judge().probabilities(seen[None])[0]
    read = int(np.argmax(odds))
    code = core.encode(digit28[None], read)[0]
    xy = view.frame.project(code)[0]
    guess = (digit_input.likeliest_class(core.class_log_prior(code)[0])
             if core.conditional else None)
    return {"xy": (float(xy[0]), float(xy[1])), "recon": core.decode(code, read)[0],
            "guess": guess, "judge": (read, float(odds[read])),
            "analogy": (core.decode(np.repeat(code, 10, axis=0), np.arange(10))
                        if core.decoder_sees_label else None)}


@st.cache_data(max_entries=256, show_spinner=False)
def analogy_png(name: str, code: tuple[float, ...]) -> bytes:
    """The code ``code`` decoded with each of the ten labels, one strip."""
    codes = np.repeat(np.asarray(code, np.float32)[None], 10, axis=0)
    return images.grid_png(model_core(name).decode(codes, np.arange(10)), 1, 10, scale=2,
                           gap=1)


@st.cache_data(max_entries=128, show_spinner=False)
def manifold_png(name: str, n: int, span: float, digit: int) -> bytes:
    probs = model_core(name).decode(model_view(name).manifold(n, span), digit)
    return images.grid_png(probs, n, n, scale=max(1, 560 // (28 * n)))


# --- state helpers ---------------------------------------------------------------------------

def recentre() -> None:
    """Model or class changed: move the latent point to the class centre on the next run."""
    st.session_state["recentre"] = True


def pick(index: int | None) -> None:
    """Move the sliders to test digit ``index``'s code and remember it."""
    if index is None:
        return
    view = model_view(st.session_state["model"])
    st.session_state["pick"] = index
    st.session_state["z1"], st.session_state["z2"] = view.code_point(index)
    st.query_params["pick"] = str(index)


def on_pick() -> None:
    """A digit was clicked in the (fallback) scatter: pick it, redraw sliders and scatter."""
    index = selected_index(st.session_state.get("scatter"), len(test_split()))
    if index is not None:
        pick(index)
        st.rerun(["latent", "scatter"])


def on_map_pick() -> None:
    """A digit was clicked on the latent map (its fragment reruns by itself)."""
    pick(latent_map.read_pick((st.session_state.get("map") or {}).get("pick"),
                              len(test_split())))


def clear_pick() -> None:
    st.session_state["pick"] = None
    st.query_params.pop("pick", None)


def commit_map() -> None:
    """The map's point was released: set the sliders (and so the URL) to it, clamped and
    rounded to the slider step (the map's fragment reruns by itself)."""
    point = latent_map.read_point((st.session_state.get("map") or {}).get("commit"))
    if point is None:
        return
    view = model_view(st.session_state["model"])
    st.session_state["z1"], st.session_state["z2"] = view.clamp(point)


def set_own(kind: str, digit28: np.ndarray | None = None, source: str = "",
            note: str | None = None) -> None:
    """Keep your digit (from ``kind``: "drawing" or "upload"), or drop the one from ``kind``
    when ``digit28`` is None; a ``note`` says why an input was not used and changes
    nothing else. Then redraw the panels that show your digit."""
    own = st.session_state.get("own")
    if note is None and digit28 is not None:
        st.session_state["own"] = {"image": digit28, "source": source, "kind": kind}
    elif note is None and own is not None and own["kind"] == kind:
        st.session_state["own"] = None
    st.session_state["own_note"] = note
    st.rerun(["own", "latent"] + ([] if latent_map.available() else ["scatter"]))


def on_draw() -> None:
    url = (st.session_state.get("draw") or {}).get("drawing")
    if url is None:
        return set_own("drawing")
    try:
        set_own("drawing", digit_input.digit_from_data_url(url), "your drawing")
    except digit_input.DigitInputError as exc:
        set_own("drawing", note=f"**That drawing could not be used.** {exc}")


def on_upload() -> None:
    file = st.session_state.get("upload")
    if file is None:
        return set_own("upload")
    name = "`" + file.name.replace("`", "'") + "`"
    try:
        if file.size > digit_input.MAX_BYTES:  # the server's upload cap, checked again here
            raise digit_input.DigitInputError(
                f"The file is {file.size / 1e6:.1f} MB; the limit is "
                f"{digit_input.MAX_BYTES / 1e6:.0f} MB.")
        set_own("upload", digit_input.digit_from_bytes(file.getvalue()), name)
    except digit_input.DigitInputError as exc:
        set_own("upload", note=f"**{name} could not be used as a digit.** {exc}")


def go_to_own() -> None:
    """Move the latent point to your digit's code."""
    own = st.session_state.get("own")
    if own is None:
        return
    name = st.session_state["model"]
    point = own_digit_result(name, own["image"])["xy"]
    st.session_state["z1"], st.session_state["z2"] = model_view(name).clamp(point)
    st.rerun("latent")


def url_fields(names: list[str]) -> dict:
    (x0, x1), (y0, y1) = SLIDER_BOUNDS
    return {
        "model": Choice(tuple(names)),
        "digit": Choice(tuple(str(d) for d in DIGITS)),
        "z1": Number(x0, x1), "z2": Number(y0, y1),
        "n": Number(GRID_N[0], GRID_N[1], whole=True),
        "span": Number(GRID_SPAN[0], GRID_SPAN[1]),
        "pick": Number(0, len(test_split()) - 1, whole=True),
    }


def check_link(raw: dict[str, list[str]], names: list[str]) -> None:
    """First run of a session: note what the link asked for but could not be used, drop
    unknown parameters from the URL and restore a valid picked digit."""
    fields = url_fields(names)
    st.session_state["url_notes"] = check_query(raw, fields)
    for key in raw:
        if key not in fields and key in st.query_params and not key.startswith("embed"):
            del st.query_params[key]
    pick, _ = read_field("pick", raw.get("pick", []), fields["pick"])
    st.session_state["pick"] = pick
    if pick is None:
        st.query_params.pop("pick", None)


# --- page ---------------------------------------------------------------------------------

if __name__ == "__main__":  # the page run (see `app` above)
    raw_link = None
    if "url_notes" not in st.session_state:  # first run: read the link before widgets bind it
        raw_link = {key: st.query_params.get_all(key) for key in st.query_params}

    names = catalog.bundle_names()
    with st.sidebar:
        st.title("CVAE Explorer")
        st.caption("Variational autoencoders on MNIST. Drag the latent point, pick a class, "
                   "share the link.")
        if not names:
            st.error("No model bundles found under `weights/`. Train one with "
                     "`python -m cvae.train --recipe class-prior-2d` (see README).")
            st.stop()
        model = st.selectbox("Model", names, index=names.index(DEFAULT_RECIPE)
                             if DEFAULT_RECIPE in names else 0,
                             key="model", bind="query-params", on_change=recentre)
        digit = int(st.radio("Digit class", DIGITS, index=DEFAULT_DIGIT, horizontal=True,
                             key="digit", bind="query-params", on_change=recentre,
                             help="Class-prior models centre on the learned prior mean of the "
                                  "class; other models on the mean code of its test digits."))
        latent_box = st.container()
        grid_box = st.container()

    try:
        core = model_core(model)
        view = model_view(model)
    except BundleError as exc:
        st.error(f"**The model `{model}` cannot be loaded.** {exc.problem}.\n\n"
                 "Pick another model in the sidebar; the others are unaffected.")
        st.stop()

    if raw_link is not None:
        check_link(raw_link, names)
    if st.session_state.pop("recentre", False) or "z1" not in st.session_state:
        st.session_state["z1"], st.session_state["z2"] = view.start_point(digit)

    notes = st.session_state.get("url_notes") or []
    if notes:
        with st.container(border=True):
            st.warning("**Some settings in this link were ignored**; the defaults are shown "
                       "instead:\n\n" + "\n".join(f"- {note}" for note in notes), icon="⚠️")
            if st.button("Dismiss", key="dismiss_notes"):
                st.session_state["url_notes"] = []
                st.rerun()

    info = model_info(model)
    st.markdown(f"### {info.title}")
    st.caption(f"`{model}` · latent {core.latent} · test ELBO {info.metrics.test_elbo:.1f} "
               f"nats · from {info.source}")


@st.fragment(key="latent")
def latent_panel(name: str, digit: int) -> None:
    """Sliders (in the sidebar) and the latent map with the decoded digit (or, without the
    map, the decoded digit alone): slider moves and map releases rerun only this fragment,
    which sends no per-digit data."""
    view, core = model_view(name), model_core(name)
    (x0, x1), (y0, y1) = SLIDER_BOUNDS
    t1, t2 = view.axis_titles
    map_on = latent_map.available()
    with latent_box:
        st.subheader("Latent point")
        x = st.slider(t1, x0, x1, step=0.01, key="z1", bind="query-params")
        y = st.slider(t2, y0, y1, step=0.01, key="z2", bind="query-params")
        if view.latent > 2:
            st.caption(f"The other {view.latent - 2} latent dimensions are held at the "
                       f"class-{digit} centre.")
        if not map_on:
            st.caption("The live latent map is off here; move the point with the sliders.")
    picked = st.session_state.get("pick")
    own = st.session_state.get("own")
    own_xy = own_digit_result(name, own["image"])["xy"] if own else None
    probs = core.decode(view.latent_at(digit, (x, y))[None],
                        labels=digit if core.decoder_sees_label else None)[0]
    if map_on:
        st.markdown("**The 10,000 test digits in latent space** · drag the point (or use "
                    "the arrow keys) and the digit follows; release to set the sliders; "
                    "click a digit to pick it")
        latent_map.latent_map(key="map", on_commit=commit_map, on_pick=on_map_pick,
                              data=latent_map.map_data(
            view, digit, (x, y), version=registry.version(name),
            colours=list(figures.CLASS_COLOURS[:10]), probs=probs,
            picked=tuple(view.coords[picked]) if picked is not None else None,
            own=own_xy, own_colour=figures.OWN_COLOUR))
    else:
        st.markdown("**Decoded digit**")
        st.image(images.digit_png(probs, scale=10), width=280,
                 caption=f"p(x | z{', y' if core.decoder_sees_label else ''}) at "
                         f"({x:.2f}, {y:.2f})")
    if picked is not None:
        st.markdown(f"**Picked test digit #{picked}** (a {view.labels[picked]})")
        original, recon, _ = st.columns([1, 1, 4])
        original.image(images.digit_png(test_split().images[picked] / 255.0, scale=4),
                       caption="original", width=112)
        recon.image(images.digit_png(core.decode(view.codes[picked][None],
                                                 view.labels[picked])[0], scale=4),
                    caption="reconstruction", width=112)
        st.button("Clear pick", on_click=clear_pick, key="clear_pick")
    if core.decoder_sees_label:
        analogy_panel(name, view.latent_at(digit, (x, y)), own)


def analogy_panel(name: str, code: np.ndarray, own: dict | None) -> None:
    """For a decoder that reads the label: one style drawn as all ten digits, for the
    current latent point and for your own digit."""
    st.markdown("**Analogies: one style, ten digits** · the current latent point drawn "
                "as every class")
    st.image(analogy_png(name, tuple(np.round(code, 4))), width="stretch",
             caption="p(x | z, y) for y = 0…9 at the current point")
    if own is not None:
        result = own_digit_result(name, own["image"])
        read, share = result["judge"]
        st.image(images.grid_png(result["analogy"], 1, 10, scale=2, gap=1), width="stretch",
                 caption=f"your digit's style (encoded as a {read}, the judge's reading "
                         f"at {share:.0%}) drawn as every class")


@st.fragment(key="scatter")
def scatter_panel(name: str, digit: int) -> None:
    """Without the map: the test scatter, outside the slider fragment (a slider move never
    re-sends it), with no current point in it."""
    view = model_view(name)
    picked = st.session_state.get("pick")
    own = st.session_state.get("own")
    own_xy = own_digit_result(name, own["image"])["xy"] if own else None
    st.markdown("**The 10,000 test digits in latent space** · click one to jump to it")
    fig = figures.scatter_with_overlays(
        scatter_base(name), figures.overlay_traces(view, digit, None, picked, own_xy))
    st.plotly_chart(fig, key="scatter", on_select=on_pick, selection_mode="points",
                    config={"displaylogo": False, "scrollZoom": True})


@st.fragment(key="own")
def own_digit_panel(name: str) -> None:
    """Draw or upload a digit; see it as the model does, its reconstruction and where it
    lands in latent space (a star on the scatter)."""
    st.divider()
    st.subheader("Your digit")
    st.caption("Draw a digit or upload a picture of one (PNG or JPEG, up to 1 MB). It is "
               "made MNIST-style (cropped, scaled to 20 px, centred in 28×28, binarized "
               "at 0.5) and encoded by the model; it appears on the scatter as a star.")
    own = st.session_state.get("own")
    draw_col, upload_col, seen_col, recon_col = st.columns([1.1, 1.3, 1, 1], gap="medium")
    with draw_col:
        drawn = (st.session_state.get("draw") or {}).get("drawing")
        if latent_map.drawing(key="draw", current=drawn, on_change=on_draw) is None:
            st.caption("Drawing is unavailable here; upload a picture instead.")
    with upload_col:
        st.file_uploader("Upload a digit", type=["png", "jpg", "jpeg"], key="upload",
                         on_change=on_upload,
                         help="A photo or scan of one handwritten digit: dark ink on light "
                              "paper or light ink on dark, any size up to 1 MB.")
        note = st.session_state.get("own_note")
        if note:
            st.warning(note, icon="⚠️")
    if own is None:
        with seen_col:
            st.info("Nothing yet: draw a digit or upload one.")
        return
    result = own_digit_result(name, own["image"])
    with seen_col:
        st.image(images.digit_png(digit_input.model_input(own["image"]), scale=5), width=140,
                 caption=f"what the model sees: {own['source']}, 28×28, binarized")
    with recon_col:
        st.image(images.digit_png(result["recon"], scale=5), width=140,
                 caption="its reconstruction")
        read, share = result["judge"]
        st.markdown(f"The judge (a small classifier) reads it as a **{read}** ({share:.0%})")
        if result["guess"] is not None:
            best, share = result["guess"]
            st.markdown(f"Likeliest class under the class priors: **{best}** "
                        f"({share:.0%} of p(y | z))")
        st.button("Move the latent point here", key="go_to_own", on_click=go_to_own)


@st.fragment
def grid_panel(name: str, digit: int) -> None:
    """Grid size and span (in the sidebar) and the grids they shape."""
    with grid_box:
        st.subheader("Grids")
        n = st.slider("Grid size n", GRID_N[0], GRID_N[1], GRID_N[2], key="n",
                      bind="query-params")
        span = st.slider("Grid span (upper normal quantile)", GRID_SPAN[0], GRID_SPAN[1],
                         GRID_SPAN[2], step=0.01, key="span", bind="query-params")
    view = model_view(name)
    st.divider()
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**Class-mean-shifted grid · digit {digit}**")
        st.image(class_grid_png(name, digit, n, span), width="stretch",
                 caption=f"{n}×{n} codes at normal quantiles {1 - span:.2f}–{span:.2f} "
                         f"offset by the class-{digit} "
                         f"{'prior mean' if view.conditional else 'mean code'}"
                         + (f", drawn as {digit}s" if model_core(name).decoder_sees_label
                            else "")
                         + "; z₂ grows upward and z₁ rightward, as on the scatter")
    with right:
        if view.latent == 2:
            st.markdown("**The whole latent manifold**")
            what = ("the class-mean mixture prior" if view.conditional else "the prior N(0, I)")
            drawn = f", drawn as {digit}s" if model_core(name).decoder_sees_label else ""
            st.image(manifold_png(name, n, span, digit), width="stretch",
                     caption=f"{n}×{n} codes at quantiles of {what}{drawn}")
        else:
            st.markdown("**Manifold**")
            st.info(f"The full manifold is drawn for 2-D models; this one has "
                    f"{view.latent} latent dimensions. The grid on the left moves in the "
                    "plane of the two leading principal directions of the codes.")


@st.fragment
def samples_panel(name: str, digit: int) -> None:
    """Samples from the (class) prior and a morph strip."""
    view = model_view(name)
    st.divider()
    left, right = st.columns(2, gap="large")
    with left:
        prior = f"p(z | y={digit})" if view.conditional else "the prior N(0, I)"
        drawn = f", drawn as {digit}s" if model_core(name).decoder_sees_label else ""
        st.markdown(f"**Samples from {prior}{drawn}**")
        if st.button("New samples", key="resample"):
            st.session_state["sample_seed"] = st.session_state.get("sample_seed", 0) + 1
        st.image(samples_png(name, digit, st.session_state.get("sample_seed", 0)),
                 width="stretch")
    with right:
        st.markdown("**Morph**")
        mode = st.segmented_control("Between", ["two class means", "two test digits"],
                                    default="two class means", key="morph_mode")
        a_col, b_col = st.columns(2)
        if mode == "two test digits":
            last = len(view.codes) - 1
            start = st.session_state.get("pick") or 0
            i = a_col.number_input("From test digit #", 0, last, start, key="morph_i")
            j = b_col.number_input("To test digit #", 0, last, 1 if start != 1 else 2,
                                   key="morph_j")
            between = "digits"
        else:
            i = a_col.selectbox("From class", DIGITS, index=digit, key="morph_a")
            j = b_col.selectbox("To class", DIGITS, index=(digit + 1) % 10, key="morph_b")
            between = "classes"
        st.image(morph_png(name, between, int(i), int(j)), width="stretch")


@st.fragment
def model_card(name: str) -> None:
    """Recipe, size, measured figures and training progress of the model."""
    core = model_core(name)
    info = model_info(name)
    m = info.metrics
    st.divider()
    st.subheader("Model card")
    cols = st.columns(6)
    cols[0].metric("Test ELBO", f"{m.test_elbo:.2f}",
                   help=f"nats per digit on the binarized 10k test set; bounds {m.bound_on}")
    cols[1].metric(f"IWAE (k={m.iwae_k or '–'})", f"{m.test_iwae:.2f}",
                   help=f"importance-weighted bound on {m.bound_on}, tighter than the ELBO; "
                        f"mean over the first {m.iwae_n} test digits (± {m.iwae_se:.2f} "
                        "standard error over digits)")
    if math.isfinite(m.marginal_iwae):
        cols[2].metric("log p(x) (IWAE)", f"{m.marginal_iwae:.2f}",
                       help="the label-free bound logsumexp_y [log p(x | y) + log p(y)]; "
                            f"knowing the label is worth {m.label_worth:.2f} nats per digit")
    else:
        cols[2].metric("Parameters", f"{core.param_count:,}")
    cols[3].metric("Class fidelity", "–" if math.isnan(m.fidelity) else f"{m.fidelity:.0%}",
                   help="share of the class-c grid and of 100 samples for class c that a "
                        "separate classifier (99.6% test accuracy) labels c, over the ten "
                        "classes: how often picking a class draws that digit")
    cols[4].metric("Latent dims", core.latent)
    cols[5].metric("Best epoch", f"{m.best_epoch or '–'} / {info.epochs}",
                   help=f"chosen on {info.validation_size or '?'} validation digits held out "
                        "of the training split; the test set was read once, at the end")
    st.markdown(
        f"**Recipe** `{info.name}` · prior **{info.prior}** · posterior "
        f"**{info.posterior_text}** · reconstruction **{info.reconstruction}** · KL weight "
        f"{info.kl_weight} · {core.param_count:,} parameters  \n"
        f"**Source** {info.source}  \n"
        f"**Training** batch {info.batch_size}, Adam {info.learning_rate} ({info.lr_schedule}), "
        f"seed {info.seed}, on {info.device}, finished {info.finished}"
        + (f", {m.train_seconds / 60:.0f} min" if math.isfinite(m.train_seconds) else "")
        + (f"  \n**Notes** {info.notes}" if info.notes else ""))
    with st.expander("How it was made (full config)"):
        st.code(info.command, language="bash")
        st.json(core.config, expanded=False)
    st.caption(f"Serving: decode and encode are compiled graphs, traced "
               f"{core.trace_count()} times since this model was loaded and shared by every "
               "visitor of this server.")
    left, right = st.columns(2, gap="large")
    with left:
        st.plotly_chart(elbo_figure(name), config={"displaylogo": False})
    with right:
        arrays = progress_arrays(name)
        last = int(arrays["epochs"][-1])
        epoch = st.slider("Samples during training · epoch", 0, last, last, key="epoch")
        st.image(images.grid_png(arrays["samples"][epoch] / 255.0, 2, 8, scale=2, gap=1),
                 width="stretch", caption="the same 16 latent points decoded after each epoch")


if __name__ == "__main__":
    latent_panel(model, digit)
    if not latent_map.available():
        scatter_panel(model, digit)
    own_digit_panel(model)
    grid_panel(model, digit)
    samples_panel(model, digit)
    model_card(model)
