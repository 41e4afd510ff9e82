"""App tier: the page driven in-process by Streamlit's AppTest."""
