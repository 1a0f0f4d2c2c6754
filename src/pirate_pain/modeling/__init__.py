"""Model, losses, the training loop and model artifacts."""
