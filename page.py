"""CVAE Explorer's page: layout only (``streamlit run app.py`` serves it; `app.py` is the server).

Every session key and its transitions live in `cvae.page_state`; everything the page shows of
a model comes from that model's `cvae.model_service.ModelService` (shared by all sessions).
Page state (model, class, latent point, grid settings, picked digit) is bound to the URL query
string, so a copied link reopens the same view.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from cvae import catalog, latent_map, streamlit_workarounds
from cvae import plane as planes
from cvae.bundle import BundleError
from cvae.explorer import DEFAULT_DIGIT, DIGITS, SLIDER_BOUNDS
from cvae.figures import selected_index
from cvae.latent import GRID_N, GRID_SPAN
from cvae.latent_map import MapEvent
from cvae.model_service import ModelService
from cvae.page_state import (
    DIGIT,
    DRAW,
    GRID_SIZE,
    GRID_SPAN_KEY,
    MAP,
    MODEL,
    PLANE_ACROSS,
    PLANE_KIND,
    PLANE_UP,
    SCATTER,
    UPLOAD,
    Z1,
    Z2,
    PageState,
    link_fields,
)
from cvae.recipes import DEFAULT_RECIPE
from cvae.serving import registry

# Every picture is sent as the PNG the service made (output_format="PNG"): given "auto",
# Streamlit re-encodes an image without alpha as JPEG on every run, which blurs the pixels
# of a digit and costs CPU per rerun.

# Fragments a callback reruns by name.
LATENT, SCATTER_PANEL, OWN_PANEL = "latent", "scatter", "own"
GRID_PANEL, SAMPLES_PANEL = "grids", "samples"
TRAVERSAL_PANEL = "traversals"

streamlit_workarounds.apply()  # once per process (idempotent): the server's, or AppTest's

st.set_page_config(page_title="CVAE Explorer", page_icon="✍️", layout="wide")
# Pixels stay pixels; captions in a grey that reads at >= 4.5:1 on the page and the
# sidebar (Streamlit's own caption grey is 3.8:1 there, and no theme option sets it);
# the map's place held before its component loads (`latent_map.reserve_css`).
st.html("<style>img {image-rendering: pixelated;}"
        " div[data-testid='stCaptionContainer'] {color: #5c5e6a; opacity: 1;}\n"
        + latent_map.reserve_css(MAP) + "</style>")


@st.cache_resource(show_spinner="Loading the model and encoding the 10,000 test digits…")
def service(name: str) -> ModelService:
    """The model's service (loaded once per process, shared with the live routes)."""
    loaded = registry.service(name)
    streamlit_workarounds.freeze_loaded_objects()  # keep the model out of full collections
    return loaded


def page_state() -> PageState:
    return PageState(st.session_state, st.query_params)


def shown_digit() -> int:
    """The class the page shows (read at each run: a class change reruns fragments only)."""
    return int(page_state().widget(DIGIT))


# --- callbacks: each asks the state module to make one transition --------------------------

def on_model() -> None:
    """Another model: the whole page reruns, its map in the default plane and the point at
    the class centre."""
    page_state().new_model()


def on_plane() -> None:
    """Another map plane: the whole page reruns, the point at the current code's
    coordinates in the new plane (the code off the plane moves to the class centre)."""
    page = page_state()
    base, before = service(page.widget(MODEL)), current()
    active, inactive = base.traversal_order()
    plane = planes.chosen(page.widget(PLANE_KIND), page.widget(PLANE_ACROSS),
                          page.widget(PLANE_UP),
                          planes.parse(before.view.plane, base.view.latent), active + inactive)
    code = before.view.latent_at(shown_digit(), page.point or (0.0, 0.0))
    xy = base.in_plane(plane.key).view.frame.project(code)
    page.choose_plane(plane.key, (float(xy[0]), float(xy[1])))


def map_panels() -> list[str]:
    """The fragments that show the latent point, the picked digit and your digit in latent
    space: the latent panel (with the map), and the scatter panel where the map is off."""
    return [LATENT] + ([] if latent_map.available() else [SCATTER_PANEL])


def class_panels() -> list[str]:
    """The fragments that show the class (everything else on the page does not)."""
    return [*map_panels(), GRID_PANEL, SAMPLES_PANEL, TRAVERSAL_PANEL]


def on_class() -> None:
    """Another class: the point moves to its centre and only the panels that show the
    class redraw (the model card, your digit and the header stay as sent)."""
    page = page_state()
    try:
        svc = current()
    except BundleError:  # the full rerun says why the model cannot be used
        page.recentre()
        return
    page.move_point(svc.view.start_point(shown_digit()))
    st.rerun(class_panels())


def on_map(event: MapEvent) -> None:
    """A release moves the point (and the sliders and URL) there; a click picks a digit."""
    page = page_state()
    if event.kind == "pick":
        page.pick(event.index, current().view.code_point(event.index))
    else:
        page.move_point(event.point)


def on_scatter_pick() -> None:
    """A digit was clicked in the (fallback) scatter: pick it, redraw sliders and scatter."""
    view = current().view
    index = selected_index(page_state().widget(SCATTER), len(view.coords))
    if index is not None:
        page_state().pick(index, view.code_point(index))
        st.rerun(map_panels())


def own_changed() -> None:
    """Redraw the panels that show your digit."""
    st.rerun([OWN_PANEL, *map_panels()])


def on_draw(data_url: str | None) -> None:
    page_state().use_drawing(data_url)
    own_changed()


def on_upload() -> None:
    file = page_state().widget(UPLOAD)
    page_state().use_upload(None if file is None else file.name,
                            None if file is None else file.getvalue())
    own_changed()


def go_to_own() -> None:
    own = page_state().own
    if own is not None:
        page_state().move_point(current().own_reading(own.image).xy)
        st.rerun(LATENT)


def in_plane(base: ModelService) -> ModelService:
    """The model's service in the session's map plane (the default plane when the model
    has no such plane)."""
    try:
        return base.in_plane(page_state().plane)
    except planes.PlaneError:
        return base


def current() -> ModelService:
    return in_plane(service(page_state().widget(MODEL)))


def plane_control(base: ModelService) -> None:
    """For latent > 2, above the map: which plane the map, the sliders, the class grid and
    the traversals' point move in (the kind, and for two dimensions which two)."""
    latent = base.view.latent
    plane = planes.parse(in_plane(base).view.plane, latent)
    principal = [p.key for p in planes.principal_planes(latent)]
    state = st.session_state  # the controls show the session's plane (set before drawing)
    state[PLANE_KIND] = plane.key if plane.kind == "pc" else planes.DIMENSIONS
    labels = {p.key: p.label for p in planes.principal_planes(latent)}
    labels[planes.DIMENSIONS] = "Two latent dimensions"
    kind_box, across, up = st.columns([2, 1, 1])
    kind_box.selectbox(
        "Map plane", [*principal, planes.DIMENSIONS], key=PLANE_KIND, format_func=labels.get,
        on_change=on_plane,
        help="The two directions the map, the sliders and the class grid move in: two "
             "principal directions of the test digits' codes, or two latent dimensions "
             "themselves. Off the plane the code is the class centre's: on dimensions i & j, "
             "the point sets z_i and z_j and every other dimension is the class centre's. A "
             "new plane keeps the current code's coordinates in it.")
    if plane.kind != "z":
        return
    state[PLANE_ACROSS], state[PLANE_UP] = plane.first, plane.second
    variances = base.unit_variances
    for box, key, name in ((across, PLANE_ACROSS, "Horizontal axis"),
                           (up, PLANE_UP, "Vertical axis")):
        box.selectbox(name, range(latent), key=key, on_change=on_plane,
                      format_func=lambda d: f"z{d + 1} · {variances[d]:.2f}",
                      help="Each dimension with its activity: the variance of the test "
                           "digits' codes along it (active above 0.01)")


COPY_LINK = """<button type="button" id="cvae-copy-link" style="font:inherit;padding:.25rem .75rem;
border:1px solid rgba(128,128,128,.5);border-radius:.5rem;background:none;color:inherit;
cursor:pointer">Copy a link to this view</button> <span id="cvae-copy-status" role="status"
aria-live="polite"></span><script>(() => {
const b = document.getElementById("cvae-copy-link");
const s = document.getElementById("cvae-copy-status");
if (!b || b.dataset.ready) return;
b.dataset.ready = "1";
b.addEventListener("click", () => navigator.clipboard.writeText(window.location.href).then(
  () => { s.textContent = "Link copied"; },
  () => { s.textContent = "Copy the address bar: it holds this view"; }));
})();</script>"""


def copy_link_button() -> None:
    """A button copying the page's URL, which holds the whole view (the settings are bound
    to it): Streamlit has no clipboard API, so a small script of our own (no user input
    in it) asks the browser's."""
    st.html(COPY_LINK, unsafe_allow_javascript=True, width="content")


# --- page ---------------------------------------------------------------------------------

def sidebar(names: list[str]) -> tuple[str, DeltaGenerator, DeltaGenerator]:
    """The sidebar's title, model and class pickers and copy-link button; the model picked,
    and the places the latent and grid fragments put their sliders."""
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
                             key=MODEL, bind="query-params", on_change=on_model)
        st.radio("Digit class", DIGITS, index=DEFAULT_DIGIT, horizontal=True,
                 key=DIGIT, bind="query-params", on_change=on_class,
                 help="Class-prior models centre on the learned prior mean of the "
                      "class; other models on the mean code of its test digits.")
        latent_box, grid_box = st.container(), st.container()
        copy_link_button()  # outside the fragments: sent once, copies the URL of the moment
    return model, latent_box, grid_box


def opened_model(page: PageState, model: str, names: list[str],
                 raw_link: dict[str, list[str]] | None) -> ModelService:
    """The picked model's service in the session's plane, the link read into the page state
    on a first run (with a note on what it could not use), and the page's header."""
    try:
        svc = service(model)
    except BundleError as exc:
        st.error(f"**The model `{model}` cannot be loaded.** {exc.problem}.\n\n"
                 "Pick another model in the sidebar; the others are unaffected.")
        st.stop()
    if raw_link is not None:
        page.read_link(raw_link, link_fields(names, len(svc.view.coords), svc.view.latent))
    base, svc = svc, in_plane(svc)
    page.settle_point(svc.view.start_point(shown_digit()))

    if page.link_notes:
        with st.container(border=True):
            st.warning("**Some settings in this link were ignored**; the defaults are shown "
                       "instead:\n\n" + "\n".join(f"- {note}" for note in page.link_notes),
                       icon="⚠️")
            if st.button("Dismiss", key="dismiss_notes"):
                page.dismiss_link_notes()
                st.rerun()

    st.markdown(f"## {svc.info.title}")
    st.caption(f"`{model}` · latent {svc.view.latent} · test ELBO {svc.info.metrics.test_elbo:.1f} "
               f"nats · from {svc.info.source}")
    if svc.view.latent > 2:  # above the map it moves (2-D models: nothing drawn, nothing sent)
        plane_control(base)
    return svc


@st.fragment(key=LATENT)
def latent_panel(svc: ModelService, sliders: DeltaGenerator) -> None:
    """Sliders (in the sidebar) and the latent map with the decoded digit (or, without the
    map, the decoded digit alone): slider moves and map releases rerun only this fragment,
    which sends no per-digit data."""
    page, view, digit = page_state(), svc.view, shown_digit()
    (x0, x1), (y0, y1) = SLIDER_BOUNDS
    t1, t2 = view.axis_titles
    map_on = latent_map.available()
    with sliders:
        st.header("Latent point")
        x = st.slider(t1, x0, x1, step=0.01, key=Z1, bind="query-params")
        y = st.slider(t2, y0, y1, step=0.01, key=Z2, bind="query-params")
        if view.latent > 2:
            held = (f"The other {view.latent - 2} latent dimensions are" if
                    view.plane.startswith("z") else "Off the map's plane, the code is")
            st.caption(f"{held} held at the class-{digit} centre.")
        if not map_on:
            st.caption("The live latent map is off here; move the point with the sliders.")
    picked, own = page.picked, page.own
    if map_on:
        st.markdown("**The 10,000 test digits in latent space** · drag the point (or use "
                    "the arrow keys) and the digit follows; release to set the sliders; "
                    "click a digit to pick it")
        probs = svc.digit_at(digit, (x, y))
        latent_map.show(key=MAP, view=view, digit=digit, point=(x, y), probs=probs,
                        reading=svc.judge_reading(probs), version=svc.version,
                        on_event=on_map,
                        picked=tuple(view.coords[picked]) if picked is not None else None,
                        own=svc.own_reading(own.image).xy if own else None,
                        ellipses=svc.ellipses(digit, picked, own.image if own else None))
    else:
        st.markdown("**Decoded digit**")
        st.image(svc.digit_png(digit, (x, y)), output_format="PNG", width=280,
                 alt=f"the digit decoded at ({x:.2f}, {y:.2f}) for class {digit}",
                 caption=f"p(x | z{', y' if svc.label_to_decoder else ''}) at ({x:.2f}, {y:.2f})")
    if picked is not None:
        st.markdown(f"**Picked test digit #{picked}** (a {view.labels[picked]})")
        original, recon = svc.test_digit_pngs(picked)
        left, right, _ = st.columns([1, 1, 4])
        left.image(original, caption="original", output_format="PNG", width=112,
                   alt=f"test digit #{picked} as written")
        right.image(recon, caption="reconstruction", output_format="PNG", width=112,
                    alt=f"the model's reconstruction of test digit #{picked}")
        st.button("Clear pick", on_click=lambda: page_state().clear_pick(), key="clear_pick")
    if svc.label_to_decoder:
        analogy_panel(svc, digit, (x, y))


def analogy_panel(svc: ModelService, digit: int, xy: tuple[float, float]) -> None:
    """For a decoder that reads the label: one style drawn as all ten digits, for the
    current latent point and for your own digit."""
    st.markdown("**Analogies: one style, ten digits** · the current latent point drawn "
                "as every class")
    st.image(svc.analogy_png(digit, xy), output_format="PNG", width="stretch",
             alt="the current latent point drawn as each digit, 0 to 9 from left to right",
             caption="p(x | z, y) for y = 0…9 at the current point")
    download("Download the analogy as a GIF", lambda: svc.analogy_gif(digit, xy),
             f"{svc.view.name}-analogy-{xy[0]:.2f}_{xy[1]:.2f}.gif", "analogy_gif")
    own = page_state().own
    if own is not None:
        reading = svc.own_reading(own.image)
        read, share = reading.judge
        st.image(reading.analogy_png, output_format="PNG", width="stretch",
                 alt="your digit's style drawn as each digit, 0 to 9 from left to right",
                 caption=f"your digit's style (encoded as a {read}, the judge's reading "
                         f"at {share:.0%}) drawn as every class")


@st.fragment(key=SCATTER_PANEL)
def scatter_panel(svc: ModelService) -> None:
    """Without the map: the test scatter, outside the slider fragment (a slider move never
    re-sends it), with no current point in it."""
    page = page_state()
    own = svc.own_reading(page.own.image).xy if page.own else None
    st.markdown("**The 10,000 test digits in latent space** · click one to jump to it")
    ellipses = svc.ellipses(shown_digit(), page.picked, page.own.image if page.own else None)
    st.plotly_chart(svc.scatter_figure(shown_digit(), page.picked, own, ellipses), key=SCATTER,
                    on_select=on_scatter_pick, selection_mode="points",
                    config={"displaylogo": False, "scrollZoom": True})


@st.fragment(key=OWN_PANEL)
def own_digit_panel(svc: ModelService) -> None:
    """Draw or upload a digit; see it as the model does, its reconstruction and where it
    lands in latent space (a star on the map)."""
    page = page_state()
    st.divider()
    st.subheader("Your digit")
    st.caption("Draw a digit or upload a picture of one (PNG or JPEG, up to 1 MB). It is "
               "made MNIST-style (cropped, scaled to 20 px, centred in 28×28, binarized "
               "at 0.5) and encoded by the model; it appears on the map as a star.")
    draw_col, upload_col, seen_col, recon_col = st.columns([1.1, 1.3, 1, 1], gap="medium")
    with draw_col:
        if not latent_map.drawing(key=DRAW, on_change=on_draw):
            st.caption("Drawing is unavailable here; upload a picture instead.")
    with upload_col:
        st.file_uploader("Upload a digit", type=["png", "jpg", "jpeg"], key=UPLOAD,
                         on_change=on_upload,
                         help="A photo or scan of one handwritten digit: dark ink on light "
                              "paper or light ink on dark, any size up to 1 MB.")
        if page.own_note:
            st.warning(page.own_note, icon="⚠️")
    if page.own is None:
        with seen_col:
            st.info("Nothing yet: draw a digit or upload one.")
        return
    reading = svc.own_reading(page.own.image)
    with seen_col:
        st.image(reading.seen_png, output_format="PNG", width=140,
                 alt="your digit as the model sees it: 28×28 pixels, black and white",
                 caption=f"what the model sees: {page.own.source}, 28×28, binarized")
    with recon_col:
        st.image(reading.recon_png, output_format="PNG", width=140, caption="its reconstruction",
                 alt="the model's reconstruction of your digit")
        read, share = reading.judge
        st.markdown(f"The judge (a small classifier) reads it as a **{read}** ({share:.0%})")
        if reading.guess is not None:
            best, share = reading.guess
            st.markdown(f"Likeliest class under the class priors: **{best}** "
                        f"({share:.0%} of p(y | z))")
        st.button("Move the latent point here", key="go_to_own", on_click=go_to_own)


@st.fragment(key=GRID_PANEL)
def grid_panel(svc: ModelService, sliders: DeltaGenerator) -> None:
    """Grid size and span (in the sidebar) and the grids they shape."""
    digit = shown_digit()
    with sliders:
        st.header("Grids")
        n = st.slider("Grid size n", GRID_N[0], GRID_N[1], GRID_N[2], key=GRID_SIZE,
                      bind="query-params")
        span = st.slider("Grid span (upper normal quantile)", GRID_SPAN[0], GRID_SPAN[1],
                         GRID_SPAN[2], step=0.01, key=GRID_SPAN_KEY, bind="query-params")
    drawn = f", drawn as {digit}s" if svc.label_to_decoder else ""
    st.divider()
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**Class-mean-shifted grid · digit {digit}**")
        st.image(svc.class_grid_png(digit, n, span), output_format="PNG", width="stretch",
                 alt=f"{n}×{n} grid of {digit}s decoded around the class mean",
                 caption=f"{n}×{n} codes at normal quantiles {1 - span:.2f}–{span:.2f} "
                         f"offset by the class-{digit} "
                         f"{'prior mean' if svc.view.class_mean_prior else 'mean code'}{drawn}"
                         f"; {svc.view.axis_titles[1]} grows upward and "
                         f"{svc.view.axis_titles[0]} rightward, as on the map")
        download("Download the grid (PNG)", lambda: svc.class_grid_png(digit, n, span),
                 f"{svc.view.name}-class{digit}-grid-{n}x{n}.png", "grid_png")
    with right:
        if svc.view.latent == 2:
            st.markdown("**The whole latent manifold**")
            what = ("the class-mean mixture prior" if svc.view.class_mean_prior
                    else "the prior N(0, I)")
            st.image(svc.manifold_png(n, span, digit), output_format="PNG", width="stretch",
                     alt=f"{n}×{n} grid of digits decoded across the whole latent plane{drawn}",
                     caption=f"{n}×{n} codes at quantiles of {what}{drawn}")
            download("Download the manifold (PNG)", lambda: svc.manifold_png(n, span, digit),
                     f"{svc.view.name}-manifold-{n}x{n}.png", "manifold_png")
        else:
            st.markdown("**Manifold**")
            st.info(f"The full manifold is drawn for 2-D models; this one has "
                    f"{svc.view.latent} latent dimensions. The grid on the left moves in the "
                    f"map's plane ({planes.parse(svc.view.plane, svc.view.latent).label}).")


@st.fragment(key=SAMPLES_PANEL)
def samples_panel(svc: ModelService) -> None:
    """Samples from the (class) prior and a morph strip."""
    page, digit = page_state(), shown_digit()
    st.divider()
    left, right = st.columns(2, gap="large")
    with left:
        prior = f"p(z | y={digit})" if svc.view.class_mean_prior else "the prior N(0, I)"
        drawn = f", drawn as {digit}s" if svc.label_to_decoder else ""
        st.markdown(f"**Samples from {prior}{drawn}**")
        st.button("New samples", key="resample", on_click=lambda: page_state().next_samples())
        st.image(svc.samples_png(digit, page.sample_seed), output_format="PNG", width="stretch",
                 alt=f"16 digits sampled from {prior}{drawn}, in two rows of eight")
        seed = page.sample_seed
        download("Download the samples (PNG)", lambda: svc.samples_png(digit, seed),
                 f"{svc.view.name}-samples-{digit}-seed{seed}.png", "samples_png")
    with right:
        st.markdown("**Morph**")
        mode = st.segmented_control("Between", ["two class means", "two test digits"],
                                    default="two class means", key="morph_mode")
        a_col, b_col = st.columns(2)
        if mode == "two test digits":
            last = len(svc.view.codes) - 1
            start = page.picked or 0
            i = a_col.number_input("From test digit #", 0, last, start, key="morph_i")
            j = b_col.number_input("To test digit #", 0, last, 1 if start != 1 else 2,
                                   key="morph_j")
            between, ends = "digits", f"test digit #{int(i)} to test digit #{int(j)}"
        else:
            i = a_col.selectbox("From class", DIGITS, index=digit, key="morph_a")
            j = b_col.selectbox("To class", DIGITS, index=(digit + 1) % 10, key="morph_b")
            between, ends = "classes", f"the class-{i} mean to the class-{j} mean"
        st.image(svc.morph_png(between, int(i), int(j)), output_format="PNG", width="stretch",
                 alt=f"ten digits morphing step by step from {ends}")
        morph_downloads(svc, between, int(i), int(j))


@st.fragment
def model_card(svc: ModelService) -> None:
    """Recipe, size, measured figures and training progress of the model."""
    info = svc.info
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
        cols[2].metric("Parameters", f"{svc.param_count:,}")
    cols[3].metric("Class fidelity", "–" if math.isnan(m.fidelity) else f"{m.fidelity:.0%}",
                   help="share of the class-c grid and of 100 samples for class c that a "
                        "separate classifier (99.6% test accuracy) labels c, over the ten "
                        "classes: how often picking a class draws that digit")
    cols[4].metric("Latent dims", svc.view.latent)
    cols[5].metric("Best epoch", f"{m.best_epoch or '–'} / {info.epochs}",
                   help=f"chosen on {info.validation_size or '?'} validation digits held out "
                        "of the training split; the test set was read once, at the end")
    st.markdown(
        f"**Recipe** `{info.name}` · prior **{info.prior}** · posterior "
        f"**{info.posterior_text}** · reconstruction **{info.reconstruction}** · KL weight "
        f"{info.kl_weight} · {svc.param_count:,} parameters  \n"
        f"**Source** {info.source}  \n"
        f"**Training** batch {info.batch_size}, Adam {info.learning_rate} ({info.lr_schedule}), "
        f"seed {info.seed}, on {info.device}, finished {info.finished_text}"
        + (f", {m.train_seconds / 60:.0f} min" if math.isfinite(m.train_seconds) else "")
        + (f"  \n**Notes** {info.notes}" if info.notes else ""))
    active_units_line(svc)
    # The command's highlighter and the JSON viewer are browser chunks of their own (1.6 MB
    # and 0.1 MB): the expander's content is sent only once it is opened.
    config_box = st.expander("How it was made (full config)", key="config_open",
                             on_change="rerun")
    if config_box.open:
        with config_box:
            st.code(info.command, language="bash")
            st.json(svc.config, expanded=False)
    st.caption(f"Serving: decode and encode are compiled graphs, traced "
               f"{svc.trace_count()} times since this model was loaded and shared by every "
               "visitor of this server.")
    left, right = st.columns(2, gap="large")
    with left:
        if svc.elbo_svg is not None:
            st.html(svc.elbo_svg)
    with right:
        last = svc.last_epoch
        epoch = st.slider("Samples during training · epoch", 0, last, last, key="epoch")
        st.image(svc.training_samples_png(epoch), output_format="PNG", width="stretch",
                 alt=f"the same 16 latent points decoded after epoch {epoch}",
                 caption="the same 16 latent points decoded after each epoch")


# --- inside the latent space: traversals, active units; exports --------------------------

def download(label: str, data: Callable[[], bytes], file_name: str, key: str) -> None:
    """A download button whose file is made only when it is pressed (the pictures are
    cached by the service); pressing it does not rerun the page."""
    mime = "image/gif" if file_name.endswith(".gif") else "image/png"
    st.download_button(label, data, file_name=file_name, mime=mime, key=key,
                       on_click="ignore", icon=":material/download:")


def morph_downloads(svc: ModelService, between: str, i: int, j: int) -> None:
    left, right = st.columns(2)
    name = f"{svc.view.name}-morph-{between}-{i}-{j}"
    with left:
        download("Download the morph (PNG)", lambda: svc.morph_png(between, i, j),
                 f"{name}.png", "morph_png")
    with right:
        download("Download the morph as a GIF", lambda: svc.morph_gif(between, i, j),
                 f"{name}.gif", "morph_gif")


def active_units_line(svc: ModelService) -> None:
    """One line of the model card: how many latent dimensions the encoder uses."""
    count = svc.info.metrics.active_units
    if count is not None:
        st.markdown(f"**Active units** {count} of {svc.view.latent} latent dimensions "
                    "(Cov_x(E_q[z_u | x]) > 0.01 over the test digits, Burda et al. 2015; "
                    "see the traversals above)")


@st.fragment(key=TRAVERSAL_PANEL)
def traversal_panel(svc: ModelService) -> None:
    """One latent dimension per row varied around the current point's code, ordered by
    activity; the inactive dimensions folded away."""
    page, digit, view = page_state(), shown_digit(), svc.view
    active, inactive = svc.traversal_order()
    st.divider()
    st.subheader("Traversals: one latent dimension at a time")
    st.caption(f"Each row varies one of the {view.latent} latent dimensions over ±3 prior "
               "standard deviations around the current point's code (9 steps, left to "
               "right), the others held. Rows are ordered by activity, the variance of the "
               f"test digits' posterior means along the dimension: {len(active)} of "
               f"{view.latent} are active (> 0.01).")
    if not st.toggle("Show the traversals", key="traversals_on"):
        return
    xy = page.point or view.start_point(digit)
    st.button("Traverse from the current point", key="traverse_here",
              help="The rows follow the latent point when you press this (they are not "
                   "redrawn on every move of the point)")
    plane = (f" (map plane: {planes.parse(view.plane, view.latent).label})"
             if view.latent > 2 else "")
    st.caption(f"Rows traversed from the point ({xy[0]:.2f}, {xy[1]:.2f}) of the class-{digit} "
               f"view{plane}.")
    variances = svc.unit_variances
    if active:
        st.image([svc.traversal_png(digit, xy, [u]) for u in active], output_format="PNG",
                 caption=[f"z{u + 1} · variance {variances[u]:.3f}" for u in active])
    if inactive:
        with st.expander(f"{len(inactive)} inactive dimensions (variance ≤ 0.01)"):
            st.image(svc.traversal_png(digit, xy, inactive), output_format="PNG",
                     caption="rows top to bottom: " + ", ".join(
                         f"z{u + 1} ({variances[u]:.4f})" for u in inactive))


# --- the run ------------------------------------------------------------------------------

_page = page_state()
# A first run reads the link before the widgets bind it.
_raw_link = ({key: st.query_params.get_all(key) for key in st.query_params}
             if _page.first_run else None)
_names = catalog.bundle_names()
_model, _latent_box, _grid_box = sidebar(_names)
_svc = opened_model(_page, _model, _names, _raw_link)
latent_panel(_svc, _latent_box)
if SCATTER_PANEL in map_panels():
    scatter_panel(_svc)
own_digit_panel(_svc)
traversal_panel(_svc)
grid_panel(_svc, _grid_box)
samples_panel(_svc)
model_card(_svc)
