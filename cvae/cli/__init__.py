"""The command-line programs, one module each, run as ``python -m cvae.cli.NAME``.

- `train`: train a recipe and write its bundle (also ``python -m cvae.train``, the command
  recorded in the shipped bundles).
- `judge`: train the class-fidelity judge (also ``python -m cvae.judge``, as recorded).
- `evaluate`: re-measure a bundle's ELBO and IWAE bound.
- `report`: the README's model table, from the shipped bundles.
"""
