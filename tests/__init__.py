"""The project's tests, in tiers; the code tests and benchmarks share lives in `harness`."""
