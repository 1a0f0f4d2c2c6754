"""Configured models against a strong non-deep baseline, on one split."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
