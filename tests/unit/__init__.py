"""Unit tier: no TensorFlow, no Streamlit page run, no subprocess; seconds in all."""
