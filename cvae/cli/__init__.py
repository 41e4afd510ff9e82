"""The command-line programs, one module each, run as ``python -m cvae.cli.NAME``.

- `train`: train a recipe and write its bundle (also ``python -m cvae.train``, the command
  recorded in the shipped bundles).
- `judge`: train the class-fidelity judge (also ``python -m cvae.judge``, as recorded).
- `evaluate`: re-measure a bundle's ELBO and IWAE bound.
- `report`: the README's model table, from the shipped bundles.

`public_command` is the command line a program records in what it writes.
"""

from __future__ import annotations

import shlex
from pathlib import Path


def public_command(argv: list[str], prog: str = "python -m cvae.train") -> str:
    """The command line as the model card shows it: file arguments by name only, so no
    path of the training machine is published."""
    shown, hide = [], False
    for arg in argv:
        if hide:
            arg, hide = Path(arg).name, False
        elif arg in ("--data", "--out"):
            hide = True
        elif arg.startswith(("--data=", "--out=")):
            key, _, value = arg.partition("=")
            arg = f"{key}={Path(value).name}"
        shown.append(arg)
    return " ".join([prog, *(shlex.quote(a) for a in shown)])
