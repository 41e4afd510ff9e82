# CVAE Explorer as a container: the Streamlit app, its library and the shipped models.
#   docker build -t cvae-explorer .
#   docker run --rm -p 8501:8501 cvae-explorer      # then open http://localhost:8501
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2

WORKDIR /app

# Runtime dependencies only (no test tools, no browser); a layer of its own so code
# changes do not reinstall TensorFlow.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The app runs as an unprivileged user; the code it runs stays root-owned and read-only.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app

COPY .streamlit/ .streamlit/
COPY cvae/ cvae/
COPY weights/ weights/
COPY app.py .

# Streamlit's /static/ bundle compressed once, here (gzip + brotli beside each file), so the
# app serves stored compressed bytes from its first request (cvae/compressed_static.py).
ENV CVAE_STATIC_CACHE=/app/static-cache
RUN python -m cvae.compressed_static

USER app
EXPOSE 8501

# slim has no curl: ask Streamlit's health endpoint with the standard library.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=8).status == 200 else 1)"]

CMD ["streamlit", "run", "app.py", "--server.headless", "true", "--server.port", "8501", "--server.address", "0.0.0.0"]
