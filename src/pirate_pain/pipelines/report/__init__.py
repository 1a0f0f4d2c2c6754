"""One self-contained HTML run report."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
