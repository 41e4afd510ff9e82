"""The project's tests; `tests.harness` is the code tests and benchmarks share."""
