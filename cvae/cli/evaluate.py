"""``python -m cvae.cli.evaluate weights/NAME [--iw K] [--json]``: measure a bundle.

Prints the binarized-test-set ELBO and the IWAE bound with K importance samples, in nats
per digit, next to the figures recorded in the bundle. Runs offline on the test split
that ships with the package (or ``--data mnist.npz``).

``--active-units`` measures the active latent dimensions instead (Burda et al. 2015: u is
active when Cov_x(E_q[z_u | x]) > 0.01 over the test split); ``--write`` records them in the
bundle's ``metrics.json`` (keys ``active_units``, ``active_unit_variances``), re-checksummed
in ``config.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cvae.bundle import BundleError
from cvae.data import DataError, load_test_split


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cvae.cli.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", type=Path, help="bundle folder, e.g. weights/tutorial-2d")
    parser.add_argument("--iw", type=int, default=1000, metavar="K",
                        help="importance samples for the IWAE bound (default 1000; 0 skips)")
    parser.add_argument("--iw-n", type=int, metavar="N",
                        help="first N test digits for the IWAE bound (default: all)")
    parser.add_argument("--seed", type=int, help="sampling seed (default: the bundle's)")
    parser.add_argument("--data", type=Path, help="Keras-format mnist.npz to read x_test from")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--active-units", action="store_true",
                        help="measure the active latent units (instead of the bounds)")
    parser.add_argument("--write", action="store_true",
                        help="with --active-units: record them in the bundle's metrics.json")
    args = parser.parse_args(argv)
    if args.iw < 0:
        parser.error("--iw must be >= 0")
    if args.write and not args.active_units:
        parser.error("--write records --active-units; give both")
    if args.active_units:
        return _active_units(args.bundle, args.data, args.write, args.json)

    try:
        import cvae
        from cvae.bounds import evaluate, keras_progress

        model = cvae.load(args.bundle)
        split = load_test_split(args.data)
        seed = args.seed if args.seed is not None else model.metrics.get("seed", 0)

        result = evaluate(model, split, iw_k=args.iw, seed=seed, iw_n=args.iw_n,
                          progress=None if args.json else keras_progress())
    except (BundleError, DataError) as exc:
        print(f"cvae.cli.evaluate: {exc}", file=sys.stderr)
        return 2

    recorded = {k: model.metrics.get(k) for k in ("test_elbo", "test_iwae", "iwae_k")}
    report = {"bundle": str(args.bundle), "recipe": model.name, **result, "recorded": recorded}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{model.name}: {result['n_test']} binarized test digits, bound on {result['bound_on']}")
    print(f"  ELBO        {result['test_elbo']:9.2f} nats   (recorded {recorded['test_elbo']})")
    print(f"    recon     {result['test_recon']:9.2f}   KL {result['test_kl']:.2f}")
    if "test_iwae" in result:
        print(f"  IWAE k={args.iw:<5d}{result['test_iwae']:9.2f} nats   "
              f"(recorded {recorded['test_iwae']} at k={recorded['iwae_k']})")
    return 0


def _active_units(bundle: Path, data: Path | None, write: bool, as_json: bool) -> int:
    try:
        import cvae
        from cvae.bounds import active_units
        from cvae.bundle import update_metrics

        if write and data is not None:
            raise DataError("--write records figures of the shipped test split: drop --data")
        model = cvae.load(bundle)
        split = load_test_split(data)
        result = active_units(model, split)
        if write:
            update_metrics(bundle, result)
    except (BundleError, DataError) as exc:
        print(f"cvae.cli.evaluate: {exc}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps({"bundle": str(bundle), "recipe": model.name, **result}, indent=2))
        return 0
    variances = result["active_unit_variances"]
    print(f"{model.name}: {result['active_units']} of {len(variances)} latent dimensions "
          f"active (Cov_x(E_q[z_u | x]) > {result['active_unit_threshold']}) over "
          f"{len(split)} test digits" + (f"; written to {bundle}/metrics.json" if write else ""))
    print("  per dimension: " + " ".join(f"{v:.3g}" for v in variances))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
