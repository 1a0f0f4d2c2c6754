"""Raw CSV files -> validated, labelled per-sequence arrays."""

from kedro.pipeline import Node, Pipeline

from .nodes import attach_training_labels, validate_sequences


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                validate_sequences,
                inputs=["raw_train_sequences", "params:ingestion"],
                outputs="validated_train_sequences",
                name="validate_train_sequences_node",
                tags=["ingestion"],
            ),
            Node(
                attach_training_labels,
                inputs=[
                    "validated_train_sequences",
                    "raw_train_labels",
                    "params:ingestion",
                ],
                outputs="train_sequences",
                name="attach_train_labels_node",
                tags=["ingestion"],
            ),
        ]
    )
