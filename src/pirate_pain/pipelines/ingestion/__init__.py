"""Read and validate raw challenge-format files."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
