"""Raw files -> model inputs -> every candidate on the same repeated folds."""

from kedro.pipeline import Node, Pipeline

from ...evaluation import plot_comparison
from ..features import create_pipeline as features_pipeline
from ..inference import create_test_input_pipeline
from ..ingestion import create_pipeline as ingestion_pipeline
from .nodes import add_test_column, cross_validate_candidates


def comparison_pipeline() -> Pipeline:
    """The comparison nodes alone (``select`` reuses them with its own block)."""
    return Pipeline(
        [
            Node(
                cross_validate_candidates,
                inputs=[
                    "model_input_train",
                    "model_input_validation",
                    "params:train",
                    "params:candidates",
                    "params:compare",
                    "params:fanout",
                ],
                outputs=["cross_validated_table", "oof_predictions"],
                name="cross_validate_candidates_node",
                tags=["comparison"],
            ),
            Node(
                add_test_column,
                inputs=[
                    "cross_validated_table",
                    "model_input_train",
                    "model_input_validation",
                    "model_input_test",
                    "params:train",
                    "params:candidates",
                    "params:compare",
                    "params:fanout",
                ],
                outputs="comparison_table",
                name="add_test_column_node",
                tags=["comparison"],
            ),
            Node(
                plot_comparison,
                inputs="comparison_table",
                outputs="comparison_plot",
                name="plot_comparison_node",
                tags=["comparison"],
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    return (
        ingestion_pipeline()
        + features_pipeline()
        + create_test_input_pipeline()  # a test column where labels exist
        + comparison_pipeline()
    )
