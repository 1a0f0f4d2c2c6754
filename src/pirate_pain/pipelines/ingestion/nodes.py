"""Ingestion nodes: raw CSV frames -> validated, labelled per-sequence arrays.

The checks live in the library module ``pirate_pain.validation``, which the
inference pipeline uses too (no pipeline imports another pipeline's nodes).
"""

from ...validation import attach_labels, attach_training_labels, validate_sequences

__all__ = ["attach_labels", "attach_training_labels", "validate_sequences"]
