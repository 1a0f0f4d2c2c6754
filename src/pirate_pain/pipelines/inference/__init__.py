"""Test-set predictions and the submission file."""

from .pipeline import create_pipeline, create_test_input_pipeline

__all__ = ["create_pipeline", "create_test_input_pipeline"]
