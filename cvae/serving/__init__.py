"""Serving the models to every visitor of one server process.

* `core` - `ModelCore`: one bundle's compiled decode/encode graphs (shape buckets, warm-up).
* `batching` - `BatchingCore`: gathers concurrent requests from all sessions into one call.
* `registry` - one core and one view per allow-listed bundle, shared by the page and the
  live decode routes.
"""
