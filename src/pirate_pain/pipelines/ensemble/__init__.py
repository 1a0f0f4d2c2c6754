"""Majority-vote ensembles across architectures, seeds and folds."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
