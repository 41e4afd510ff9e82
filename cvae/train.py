"""``python -m cvae.train``: the command recorded in the shipped bundles; runs `cvae.cli.train`."""

from cvae.cli.train import main

if __name__ == "__main__":
    raise SystemExit(main())
