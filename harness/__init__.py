"""What the tests and the benchmarks share (no pytest needed to import any of it).

* `paths`: the repo root, the shipped weights and the artifacts folder.
* `bundles`: the shipped model bundles.
* `server`: ``streamlit run app.py`` on a free loopback port: start, health check, stop.
* `browser`: Debian's Chromium through Playwright; opening the app and waiting until idle.
* `latent_map`: the latent map's plot frame on the page (latent -> page coordinates).
* `st_protocol`: a browserless client of Streamlit's WebSocket protocol.
* `nginx`: ``deploy/nginx.conf`` rendered for replicas on loopback; a `Stack` of replicas
  behind it.
* `apptest`: helpers for driving app.py with Streamlit's AppTest.
* `screenshot`: ``python -m harness.screenshot`` renders docs/screenshot.png.
"""
