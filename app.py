"""CVAE Explorer: variational autoencoders on MNIST, live in the browser.

This file is the Streamlit page: layout and state only. Models, decoding and all maths
live in the `cvae` package. Page state (model, class, latent point, grid settings) is bound
to the URL query string, so a copied link reopens the same view.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cvae import catalog, figures, images
from cvae.bundle import BundleError, read_progress
from cvae.data import Split, load_test_split
from cvae.explorer import ModelView, build_view
from cvae.latent import interpolate, selected_index
from cvae.recipes import DEFAULT_RECIPE
from cvae.urlstate import Choice, Number, check_query, read_field

GRID_N = (3, 25, 15)          # min, max, default (the write-up used 15)
GRID_SPAN = (0.6, 0.99, 0.95)  # upper normal quantile of the grid (the write-up: 0.05-0.95)
DEFAULT_DIGIT = 8              # the write-up's example class
DIGITS = list(range(10))

st.set_page_config(page_title="CVAE Explorer", page_icon="✍️", layout="wide")
st.html("<style>img {image-rendering: pixelated;}</style>")


# --- cached model work (shared by every session of this server) ---------------------------

@st.cache_resource(show_spinner=False)
def test_split() -> Split:
    return load_test_split()


@st.cache_resource(show_spinner="Loading the model…")
def model_core(name: str):  # noqa: ANN201 - returns cvae.core.ModelCore (imports TensorFlow)
    from cvae.core import load_core

    return load_core(catalog.bundle_path(name))


@st.cache_resource(show_spinner="Encoding the 10,000 test digits…")
def model_view(name: str) -> ModelView:
    return build_view(model_core(name), test_split())


@st.cache_resource(show_spinner=False)
def scatter_base(name: str) -> dict:
    return figures.scatter_base(model_view(name))


@st.cache_resource(show_spinner=False)
def progress_arrays(name: str) -> dict[str, np.ndarray]:
    return read_progress(catalog.bundle_path(name))


@st.cache_data(max_entries=512, show_spinner=False)
def class_grid_png(name: str, digit: int, n: int, span: float) -> bytes:
    probs = model_core(name).decode(model_view(name).class_grid(digit, n, span))
    return images.grid_png(probs, n, n, scale=max(1, 560 // (28 * n)))


@st.cache_data(max_entries=128, show_spinner=False)
def manifold_png(name: str, n: int, span: float) -> bytes:
    probs = model_core(name).decode(model_view(name).manifold(n, span))
    return images.grid_png(probs, n, n, scale=max(1, 560 // (28 * n)))


# --- state helpers ---------------------------------------------------------------------------

def recentre() -> None:
    """Model or class changed: move the latent point to the class centre on the next run."""
    st.session_state["recentre"] = True


def on_pick() -> None:
    """A digit was clicked in the scatter: move the sliders to its code and remember it."""
    index = selected_index(st.session_state.get("scatter"), len(test_split()))
    if index is None:
        return
    view = model_view(st.session_state["model"])
    st.session_state["pick"] = index
    st.session_state["z1"], st.session_state["z2"] = view.code_point(index)
    st.query_params["pick"] = str(index)


def clear_pick() -> None:
    st.session_state["pick"] = None
    st.query_params.pop("pick", None)


def url_fields(names: list[str], view: ModelView) -> dict:
    (x0, x1), (y0, y1) = view.bounds
    return {
        "model": Choice(tuple(names)),
        "digit": Choice(tuple(str(d) for d in DIGITS)),
        "z1": Number(x0, x1), "z2": Number(y0, y1),
        "n": Number(GRID_N[0], GRID_N[1], whole=True),
        "span": Number(GRID_SPAN[0], GRID_SPAN[1]),
        "pick": Number(0, len(test_split()) - 1, whole=True),
    }


def check_link(raw: dict[str, list[str]], names: list[str], view: ModelView) -> None:
    """First run of a session: note what the link asked for but could not be used, drop
    unknown parameters from the URL and restore a valid picked digit."""
    fields = url_fields(names, view)
    st.session_state["url_notes"] = check_query(raw, fields)
    for key in raw:
        if key not in fields and key in st.query_params and not key.startswith("embed"):
            del st.query_params[key]
    pick, _ = read_field("pick", raw.get("pick", []), fields["pick"])
    st.session_state["pick"] = pick
    if pick is None:
        st.query_params.pop("pick", None)


# --- page ---------------------------------------------------------------------------------

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
    check_link(raw_link, names, view)
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

recipe = core.config["recipe"]
st.markdown(f"### {recipe['title']}")
st.caption(f"`{model}` · latent {core.latent} · test ELBO "
           f"{core.metrics.get('test_elbo', float('nan')):.1f} nats · from {recipe['source']}")


@st.fragment
def latent_panel(name: str, digit: int) -> None:
    """Sliders (in the sidebar), the decoded digit and the test scatter: slider moves and
    scatter clicks rerun only this fragment."""
    view, core = model_view(name), model_core(name)
    (x0, x1), (y0, y1) = view.bounds
    t1, t2 = view.axis_titles
    with latent_box:
        st.subheader("Latent point")
        x = st.slider(t1, x0, x1, step=0.01, key="z1", bind="query-params")
        y = st.slider(t2, y0, y1, step=0.01, key="z2", bind="query-params")
        if view.latent > 2:
            st.caption(f"The other {view.latent - 2} latent dimensions are held at the "
                       f"class-{digit} centre.")
    probs = core.decode(view.latent_at(digit, (x, y))[None])[0]
    picked = st.session_state.get("pick")
    left, right = st.columns([1, 2], gap="large")
    with left:
        st.markdown("**Decoded digit**")
        st.image(images.digit_png(probs, scale=10), width=280,
                 caption=f"p(x | z) at ({x:.2f}, {y:.2f})")
        if picked is not None:
            st.markdown(f"**Picked test digit #{picked}** (a {view.labels[picked]})")
            original, recon = st.columns(2)
            original.image(images.digit_png(test_split().images[picked] / 255.0, scale=4),
                           caption="original", width=112)
            recon.image(images.digit_png(core.decode(view.codes[picked][None])[0], scale=4),
                        caption="reconstruction", width=112)
            st.button("Clear pick", on_click=clear_pick, key="clear_pick")
    with right:
        st.markdown("**The 10,000 test digits in latent space** · click one to jump to it")
        fig = figures.scatter_with_overlays(
            scatter_base(name), figures.overlay_traces(view, digit, (x, y), picked))
        st.plotly_chart(fig, key="scatter", on_select=on_pick, selection_mode="points",
                        config={"displaylogo": False, "scrollZoom": True})


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
                         f"{'prior mean' if view.conditional else 'mean code'}")
    with right:
        if view.latent == 2:
            st.markdown("**The whole latent manifold**")
            what = ("the class-mean mixture prior" if view.conditional else "the prior N(0, I)")
            st.image(manifold_png(name, n, span), width="stretch",
                     caption=f"{n}×{n} codes at quantiles of {what}")
        else:
            st.markdown("**Manifold**")
            st.info(f"The full manifold is drawn for 2-D models; this one has "
                    f"{view.latent} latent dimensions. The grid on the left moves in the "
                    "plane of the two leading principal directions of the codes.")


@st.fragment
def samples_panel(name: str, digit: int) -> None:
    """Samples from the (class) prior and a morph strip."""
    view, core = model_view(name), model_core(name)
    st.divider()
    left, right = st.columns(2, gap="large")
    with left:
        prior = f"p(z | y={digit})" if view.conditional else "the prior N(0, I)"
        st.markdown(f"**Samples from {prior}**")
        if st.button("New samples", key="resample"):
            st.session_state["sample_seed"] = st.session_state.get("sample_seed", 0) + 1
        codes = view.prior_samples(digit, 16, st.session_state.get("sample_seed", 0))
        st.image(images.grid_png(core.decode(codes), 2, 8, scale=2, gap=1), width="stretch")
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
            a, b = view.codes[int(i)], view.codes[int(j)]
        else:
            i = a_col.selectbox("From class", DIGITS, index=digit, key="morph_a")
            j = b_col.selectbox("To class", DIGITS, index=(digit + 1) % 10, key="morph_b")
            a, b = view.centres[int(i)], view.centres[int(j)]
        strip = core.decode(interpolate(a, b, 10))
        st.image(images.grid_png(strip, 1, 10, scale=2, gap=1), width="stretch")


@st.fragment
def model_card(name: str) -> None:
    """Recipe, size, measured figures and training progress of the model."""
    core = model_core(name)
    recipe, training = core.config["recipe"], core.config.get("training", {})
    metrics = core.metrics
    st.divider()
    st.subheader("Model card")
    cols = st.columns(5)
    cols[0].metric("Test ELBO", f"{metrics.get('test_elbo', float('nan')):.2f}",
                   help=f"nats per digit on the binarized 10k test set; bounds "
                        f"{metrics.get('bound_on', 'log p(x)')}")
    cols[1].metric(f"IWAE (k={metrics.get('iwae_k', '–')})",
                   f"{metrics.get('test_iwae', float('nan')):.2f}",
                   help="importance-weighted bound, tighter than the ELBO")
    cols[2].metric("Parameters", f"{core.param_count:,}")
    cols[3].metric("Latent dims", core.latent)
    cols[4].metric("Epochs", training.get("epochs", "–"))
    st.markdown(
        f"**Recipe** `{recipe['name']}` · prior **{recipe['prior']}** · posterior "
        f"**{'full covariance' if recipe['posterior'] == 'tril' else 'diagonal'}** · "
        f"reconstruction **{recipe['reconstruction']}** · KL weight {recipe['kl_weight']}  \n"
        f"**Source** {recipe['source']}  \n"
        f"**Training** batch {training.get('batch_size')}, Adam {training.get('learning_rate')}"
        f" ({training.get('lr_schedule', 'constant')}), seed {training.get('seed')}, on "
        f"{training.get('device', '?')}, finished {training.get('finished', '?')}"
        + (f"  \n**Notes** {recipe['notes']}" if recipe.get("notes") else ""))
    with st.expander("How it was made (full config)"):
        st.code(training.get("command", ""), language="bash")
        st.json(core.config, expanded=False)
    left, right = st.columns(2, gap="large")
    with left:
        published = recipe.get("published", {}).get("elbo")
        st.plotly_chart(figures.elbo_curve(metrics.get("history", []), published),
                        config={"displaylogo": False})
    with right:
        arrays = progress_arrays(name)
        last = int(arrays["epochs"][-1])
        epoch = st.slider("Samples during training · epoch", 0, last, last, key="epoch")
        st.image(images.grid_png(arrays["samples"][epoch] / 255.0, 2, 8, scale=2, gap=1),
                 width="stretch", caption="the same 16 latent points decoded after each epoch")


latent_panel(model, digit)
grid_panel(model, digit)
samples_panel(model, digit)
model_card(model)
