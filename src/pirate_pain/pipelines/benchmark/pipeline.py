"""Raw files -> model inputs -> benchmark comparison table."""

from kedro.pipeline import Node, Pipeline

from ..features import create_pipeline as features_pipeline
from ..inference import create_test_input_pipeline
from ..ingestion import create_pipeline as ingestion_pipeline
from .nodes import benchmark_models


def create_pipeline(**kwargs) -> Pipeline:
    benchmark = Node(
        benchmark_models,
        inputs=[
            "model_input_train",
            "model_input_validation",
            "model_input_test",
            "params:train",
            "params:candidates",
            "params:benchmark",
            "params:fanout",
        ],
        outputs="benchmark_table",
        name="benchmark_models_node",
        tags=["benchmark"],
    )
    return (
        ingestion_pipeline()
        + features_pipeline()
        + create_test_input_pipeline()
        + Pipeline([benchmark])
    )
