"""Server tier: tests that start a real server or subprocess (Streamlit, nginx, Python).

No browser: those are in tests/e2e.
"""
