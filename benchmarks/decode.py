"""Decode and encode through the app's model core, beside two per-point reference loops.

The conditional-VAE write-up (the class-mean-prior model's source) decodes its grid one point
at a time with ``decoder.predict`` in a double loop; the TensorFlow tutorial decodes with a
``tf.function``-compiled decoder call, also one call per image. Both loops run here on the
same trained decoder, in the same process, beside the app's batched core.

Beside them: a decoder-regions lattice (`cvae.model_service.ModelService.regions`: an n x n
lattice decoded and read by the judge) never computed before, in wall time and in the
process's CPU time (the budget is server CPU), and the same lattice again from the cache;
with the lattice's arithmetic (decoder + judge GFLOP) and the float32 rate one core reaches
on a plain matrix product in the same run, the floor that arithmetic sets on this CPU.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.common import layer_flops, percentiles, time_calls


def _per_point_seconds(decode: Any, codes: np.ndarray) -> float:
    """Seconds to decode ``codes`` one call per point (the write-ups' and tutorial's loops)."""
    start = time.perf_counter()
    for z in codes:
        np.asarray(decode(z[None].astype(np.float32)))
    return time.perf_counter() - start


def _new_lattices(service: Any, n: int, repeats: int) -> dict[str, Any]:
    """Wall and process-CPU milliseconds of decoder-regions lattices never computed before
    (each over a slightly shifted region), then of the same lattice again (cached)."""
    wall, cpu = [], []
    for k in range(repeats + 1):
        region = ((-4.0 + 0.001 * k, 4.0), (-4.0, 4.0))
        start, start_cpu = time.perf_counter(), time.process_time()
        service.regions(8, *region, n)
        if k:  # the first one also loads the judge and traces its graph
            wall.append((time.perf_counter() - start) * 1000.0)
            cpu.append((time.process_time() - start_cpu) * 1000.0)
    cached = time_calls(lambda: service.regions(8, *region, n), repeats=20, warmup=1)
    return {"n": n, "wall_ms": percentiles(wall), "cpu_ms": percentiles(cpu),
            "cached_ms": cached}


def _matmul_gflop_per_s() -> float:
    """Float32 GFLOP per second of process CPU time of a 1024^3 matrix product (the
    serving process runs each op on one thread, so: one core's rate; CPU time, as the
    lattice rows, so other work on the machine does not count), best of five."""
    import tensorflow as tf

    a = tf.random.uniform([1024, 1024])
    product = tf.function(lambda m: tf.matmul(m, m))
    product(a).numpy()
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(4):
            product(a).numpy()
        best = min(best, (time.process_time() - start) / 4)
    return 2 * 1024**3 / 1e9 / best


def run(quick: bool) -> dict[str, Any]:
    import tensorflow as tf

    from cvae import judge
    from cvae.catalog import bundle_path
    from cvae.data import load_test_split
    from cvae.explorer import build_view
    from cvae.model_service import ModelService
    from cvae.serving.core import load_core

    core = load_core(bundle_path("class-prior-2d"))
    split = load_test_split()
    view = build_view(core, split)
    decoder = core.vae.net.decoder
    digit = 8
    point = view.latent_at(digit, view.start_point(digit))[None]
    grid = view.class_grid(digit, 15, 0.95)

    one = time_calls(lambda: core.decode(point), repeats=100 if quick else 500, warmup=5)
    grid_t = time_calls(lambda: core.decode(grid), repeats=15 if quick else 50)
    enc = time_calls(lambda: core.encode(split.images), repeats=2 if quick else 5, warmup=1)

    ref_one = time_calls(lambda: decoder.predict(point.astype(np.float32), verbose=0),
                         repeats=20 if quick else 50, warmup=3)
    ref_grid_s = [_per_point_seconds(lambda z: decoder.predict(z, verbose=0), grid)
                  for _ in range(1 if quick else 3)]
    compiled = tf.function(lambda z: tf.sigmoid(decoder(z, training=False)),
                           input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    tut_grid_s = [_per_point_seconds(compiled, grid) for _ in range(1 if quick else 3)]

    the_judge = judge.load()
    service = ModelService(core, view, split, bundle_path("class-prior-2d"),
                           lambda: the_judge)
    lattices = {f"{n}x{n}": _new_lattices(service, n, 3 if quick else 7) for n in (24, 32, 48)}

    cell_gflop = (layer_flops(decoder) + layer_flops(the_judge.net)) / 1e9
    core_rate = _matmul_gflop_per_s()
    for lat in lattices.values():
        gflop = cell_gflop * lat["n"] ** 2
        lat["gflop"] = gflop
        lat["gflop_per_cpu_s"] = gflop / (lat["cpu_ms"]["p50"] / 1000.0)
        lat["floor_cpu_ms"] = gflop / core_rate * 1000.0  # at the matrix product's rate

    flops = layer_flops(decoder) * len(grid)
    return {
        "model": "class-prior-2d",
        "one_point_ms": one,
        "grid_15x15_ms": grid_t,
        "encode_10k_ms": enc,
        "reference_one_point_ms": ref_one,
        "reference_grid_15x15_ms": {"p50": float(np.median(ref_grid_s)) * 1000.0,
                                    "n": len(ref_grid_s)},
        "tutorial_grid_15x15_ms": {"p50": float(np.median(tut_grid_s)) * 1000.0,
                                   "n": len(tut_grid_s)},
        "ratios": {
            "one_point": ref_one["p50"] / one["p50"],
            "grid_15x15": float(np.median(ref_grid_s)) * 1000.0 / grid_t["p50"],
            "grid_15x15_vs_tutorial": float(np.median(tut_grid_s)) * 1000.0 / grid_t["p50"],
        },
        "regions_lattice_new": lattices,
        "matmul_gflop_per_s_one_core": core_rate,
        "grid_gflop": flops / 1e9,
        "grid_gflop_per_s": flops / 1e9 / (grid_t["p50"] / 1000.0),
    }
