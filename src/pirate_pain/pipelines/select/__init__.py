"""Raw CSV to an ensemble chosen by cross-validation (out-of-fold selection)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
