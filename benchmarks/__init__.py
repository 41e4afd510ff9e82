"""Speed and memory benchmarks for CVAE Explorer; run ``python -m benchmarks [--quick]``."""
