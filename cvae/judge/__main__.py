"""``python -m cvae.judge``: the command recorded in ``weights/judge``; runs `cvae.cli.judge`."""

from cvae.cli.judge import main

if __name__ == "__main__":
    raise SystemExit(main())
