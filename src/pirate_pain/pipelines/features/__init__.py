"""Feature selection, categorical merge, scaling and the train / validation split."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
