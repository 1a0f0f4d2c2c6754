"""Candidates compared by repeated stratified k-fold, with corrected intervals."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
