"""Model tier: tests that load, train or run the TF/Keras/TFP models and bundles."""
