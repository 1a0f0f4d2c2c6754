"""Labelled sequences -> scaled model inputs and a persisted transform."""

from kedro.pipeline import Node, Pipeline

from ...modeling.preprocessing import apply_feature_transform
from .nodes import fit_feature_transform, split_train_validation


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                split_train_validation,
                inputs=["train_sequences", "params:features"],
                outputs=["train_split", "validation_split"],
                name="split_train_validation_node",
            ),
            Node(
                fit_feature_transform,
                inputs=["train_split", "params:features"],
                outputs=["feature_transform", "feature_report"],
                name="fit_feature_transform_node",
            ),
            Node(
                apply_feature_transform,
                inputs=["train_split", "feature_transform"],
                outputs="model_input_train",
                name="transform_train_split_node",
            ),
            Node(
                apply_feature_transform,
                inputs=["validation_split", "feature_transform"],
                outputs="model_input_validation",
                name="transform_validation_split_node",
            ),
        ],
        tags=["features"],
    )
