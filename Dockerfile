# CVAE Explorer as a container: the Streamlit app, its library and the shipped models.
#   docker build -t cvae-explorer .                              # CPU image (default)
#   docker build --build-arg VARIANT=gpu -t cvae-explorer:gpu .  # CUDA image, for GPU hosts
#   podman build --format docker -t cvae-explorer .              # podman: keep the HEALTHCHECK
#   docker run --rm -p 8501:8501 cvae-explorer                   # then open http://localhost:8501
# Podman builds OCI images by default, and the OCI format has no HEALTHCHECK: without
# `--format docker` (or BUILDAH_FORMAT=docker) the image silently loses it.
#
# Stages: the dependencies go into a virtualenv in a build stage and only the virtualenv is
# copied into the final image (no pip cache, no build leftovers); the app's code comes last,
# so a code change rebuilds only the small top layers.
ARG VARIANT=cpu

FROM python:3.11-slim AS venv
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY deploy/requirements-container.txt /tmp/requirements-container.txt

# TensorFlow for the variant, then the rest. CPU: tensorflow-cpu, TensorFlow without CUDA.
# tf-keras (TensorFlow Probability refuses to import without it) declares `tensorflow` as a
# dependency, which would pull the CUDA build back in, so it goes in with --no-deps:
# tensorflow-cpu provides the same `tensorflow` module (`pip check` lists that unmet
# requirement; the import at the end proves the set works). GPU: TensorFlow with the CUDA
# libraries from PyPI (the host needs the NVIDIA driver and `--gpus all`, or a Kubernetes
# nvidia.com/gpu limit). One stage with a shell `case`, not one stage per variant: buildah 1.28
# (podman 4.3) cannot resolve `FROM stage-${VARIANT}`.
FROM venv AS deps
ARG VARIANT
RUN case "$VARIANT" in \
      cpu) pip install tensorflow-cpu==2.21.0 -r /tmp/requirements-container.txt \
           && pip install --no-deps tf-keras==2.21.0 ;; \
      gpu) pip install "tensorflow[and-cuda]==2.21.0" tf-keras==2.21.0 \
           -r /tmp/requirements-container.txt ;; \
      *) echo "VARIANT must be cpu or gpu, not '$VARIANT'" >&2; exit 1 ;; \
    esac

# What the app never loads, out of the image (CPU variant: 1598 MB before, 1430 MB after).
# Whole distributions go with pip; files inside a package the app does need go with rm.
#   pip uninstall (each is a dependency the app's code paths never import: `import app`, a
#   page visit and the warm-up of every model loaded none of them, and the import check
#   below still passes):
#   - libclang (62 MB): TensorFlow's C++ source-upgrade tool;
#   - grpcio (19 MB): TensorFlow imports `grpc` only in tfdbg's gRPC debug server and the
#     experimental RPC ops (tensorflow/python/debug, tensorflow/distribute/experimental/rpc);
#     its C++ runtime has its own gRPC;
#   - pydeck (23 MB, mostly a notebook extension's JavaScript and its source map) and
#     altair (10 MB) with jsonschema and its helpers (altair's alone): Streamlit imports them
#     only inside st.pydeck_chart / st.map and the Vega-Lite charts (st.altair_chart,
#     st.line_chart, ...), which the app does not call (Plotly and inline SVG draw its charts);
#   - setuptools (10 MB): a packaging tool TensorFlow declares; nothing imports it at run
#     time (no pkg_resources either);
#   - pip and wheel themselves, last (16 MB): the image installs nothing at run time.
#   rm (inside packages the app imports):
#   - TensorFlow's C++ headers (287 MB), other C headers and type stubs (10 MB);
#   - the test suites of pandas, pyarrow and numpy (60 MB);
#   - TensorFlow Probability's JAX/NumPy rewrites (`substrates`, 34 MB; the app uses its
#     TensorFlow distributions);
#   - pyarrow's Flight RPC and S3 file-system libraries with their Python modules (40 MB):
#     Streamlit uses pyarrow for tables in memory; `pyarrow.flight` and `pyarrow.fs`'s S3
#     are separate modules that only those libraries link (`pyarrow.fs` already copes with
#     a build without S3; `import pyarrow.flight` would now fail, nothing here asks for it);
#   - Plotly's own plotly.js copies (15 MB: package_data/plotly.min.js for HTML export,
#     widgetbundle.js for Jupyter's FigureWidget, labextension/ for JupyterLab): Streamlit
#     sends a figure as JSON and draws it with the plotly.js of its own frontend bundle;
#   - the static symbol tables of the shared libraries (`strip --strip-unneeded` keeps the
#     dynamic symbols they link by; ~280 MB). The libraries auditwheel vendored into
#     `<package>.libs/` are left alone (stripping numpy's OpenBLAS broke its loading), and so
#     are the GPU variant's NVIDIA libraries (never tried here).
# Then the app's imports, once more.
RUN apt-get update && apt-get install -y --no-install-recommends binutils \
 && pip uninstall -y libclang grpcio pydeck altair jsonschema jsonschema-specifications \
      referencing rpds-py setuptools \
 && cd /opt/venv/lib/python3.11/site-packages \
 && rm -rf tensorflow/include pandas/tests pyarrow/tests numpy/tests numpy/*/tests \
      tensorflow_probability/substrates \
      pyarrow/libarrow_flight.so* pyarrow/libarrow_python_flight.so* pyarrow/_flight.*.so \
      pyarrow/libarrow_s3.so* pyarrow/_s3fs.*.so \
      plotly/package_data/plotly.min.js plotly/package_data/widgetbundle.js plotly/labextension \
 && find . \( -name '*.h' -o -name '*.hpp' -o -name '*.pxd' -o -name '*.pyi' \) -delete \
 && find . \( -path './*.libs' -o -path ./nvidia \) -prune \
      -o -type f \( -name '*.so' -o -name '*.so.[0-9]*' \) -exec strip --strip-unneeded {} + \
 && python -c "import tensorflow, tensorflow_probability, tf_keras, keras, h5py, streamlit, \
pandas, pyarrow, pyarrow.compute, pyarrow.fs, plotly.graph_objects, plotly.io, PIL, brotli, \
servestatic" \
 && python -m pip uninstall -y pip wheel

FROM python:3.11-slim
COPY --from=deps /opt/venv /opt/venv
# TensorFlow's log: tensorflow-cpu has no CUDA, so no cuInit error or CUDA-stub lines; and
# TF_CPP_MIN_LOG_LEVEL=2 hides its C++ INFO and WARNING lines. The notices it prints while
# loading, before that level applies ("oneDNN custom operations are on" and absl's
# preamble), the app keeps out of the log itself (cvae/serving/quiet_tensorflow.py);
# TF_ENABLE_ONEDNN_OPTS=0 would silence the first only by switching those kernels off, and
# decoding then took 1.3-4x as long (README, Deploy).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2

WORKDIR /app

# The app runs as an unprivileged user; the code it runs stays root-owned and read-only.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app

COPY .streamlit/ .streamlit/
COPY cvae/ cvae/
COPY weights/ weights/
COPY app.py page.py ./

# Streamlit's /static/ bundle compressed once, here (gzip + brotli beside each file), so the
# app serves stored compressed bytes from its first request (cvae/compressed_static.py).
ENV CVAE_STATIC_CACHE=/app/static-cache
RUN python -m cvae.compressed_static

USER 10001
EXPOSE 8501

# Healthy = ready: /cvae/ready answers 200 once every offered model is loaded and its default
# pictures are drawn (warmed in the background at start-up; 503 until then). slim has no curl,
# so Python's urllib asks. Liveness alone is /_stcore/health (Kubernetes' liveness probe).
HEALTHCHECK --interval=15s --timeout=10s --start-period=180s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://localhost:8501/cvae/ready', timeout=8).status == 200 else 1)"]

CMD ["streamlit", "run", "app.py", "--server.headless", "true", "--server.port", "8501", "--server.address", "0.0.0.0"]
