"""Test file -> submission.csv and per-class probabilities."""

from kedro.pipeline import Node, Pipeline

from ...modeling.preprocessing import apply_feature_transform
from ...validation import validate_sequences
from .nodes import (
    attach_optional_labels,
    explain_test_predictions,
    predict_test_file,
    score_test_calibration,
)

validate_test_sequences_node = Node(
    validate_sequences,
    inputs=["raw_test_sequences", "params:ingestion"],
    outputs="validated_test_sequences",
    name="validate_test_sequences_node",
    tags=["ingestion"],
)


def create_test_input_pipeline() -> Pipeline:
    """Validated test sequences, labelled where labels exist, scaled for models."""
    return Pipeline(
        [
            validate_test_sequences_node,
            Node(
                attach_optional_labels,
                inputs=[
                    "validated_test_sequences",
                    "raw_test_labels",
                    "params:ingestion",
                ],
                outputs="test_sequences",
                name="attach_test_labels_node",
                tags=["ingestion"],
            ),
            Node(
                apply_feature_transform,
                inputs=["test_sequences", "feature_transform"],
                outputs="model_input_test",
                name="transform_test_split_node",
                tags=["features"],
            ),
        ]
    )


def create_pipeline(predictor: str = "trained_model", **kwargs) -> Pipeline:
    """Predict with ``predictor``: ``trained_model`` or ``ensemble_model``."""
    return Pipeline(
        [
            Node(
                predict_test_file,
                inputs=[
                    predictor,
                    "raw_test_sequences",
                    "params:ingestion",
                    "params:inference",
                ],
                outputs=["submission", "test_probabilities"],
                name="predict_test_sequences_node",
                tags=["inference"],
            ),
            Node(
                score_test_calibration,
                inputs=[
                    predictor,
                    "test_probabilities",
                    "raw_test_labels",
                    "params:ingestion",
                    "params:inference",
                ],
                outputs="test_calibration",
                name="score_test_calibration_node",
                tags=["inference", "evaluation"],
            ),
            Node(
                explain_test_predictions,
                inputs=[
                    predictor,
                    "raw_test_sequences",
                    "test_probabilities",
                    "params:ingestion",
                    "params:inference",
                ],
                outputs="test_attributions",
                name="explain_test_predictions_node",
                tags=["inference", "evaluation"],
            ),
        ]
    )
