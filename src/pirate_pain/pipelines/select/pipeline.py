"""Raw files -> comparison (``select`` block) -> out-of-fold ensemble selection ->
refit -> one test score."""

from kedro.pipeline import Node, Pipeline

from ..compare.pipeline import comparison_pipeline
from ..features import create_pipeline as features_pipeline
from ..inference import create_test_input_pipeline
from ..ingestion import create_pipeline as ingestion_pipeline
from .nodes import fit_selected_ensemble, select_members


def create_pipeline(**kwargs) -> Pipeline:
    select = Pipeline(
        [
            Node(
                select_members,
                inputs=["oof_predictions", "params:select"],
                outputs="ensemble_selection",
                name="select_members_node",
                tags=["ensemble"],
            ),
            Node(
                fit_selected_ensemble,
                inputs=[
                    "model_input_train",
                    "model_input_validation",
                    "model_input_test",
                    "feature_transform",
                    "params:train",
                    "params:candidates",
                    "ensemble_selection",
                    "params:fanout",
                    "oof_predictions",  # calibrates the vote
                ],
                outputs=["selected_ensemble_model", "selection_table"],
                name="fit_selected_ensemble_node",
                tags=["ensemble"],
            ),
        ]
    )
    # the comparison's nodes, reading the select block (its shipped candidate set)
    compare = Pipeline(
        comparison_pipeline(), parameters={"params:compare": "params:select"}
    )
    return (
        ingestion_pipeline()
        + features_pipeline()
        + create_test_input_pipeline()
        + compare
        + select
    )
