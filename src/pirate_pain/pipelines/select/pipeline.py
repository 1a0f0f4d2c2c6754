"""Raw files -> comparison -> out-of-fold ensemble selection -> refit -> one test score."""

from kedro.pipeline import Node, Pipeline

from ..compare import create_pipeline as compare_pipeline
from .nodes import fit_selected_ensemble, select_members


def create_pipeline(**kwargs) -> Pipeline:
    select = Pipeline(
        [
            Node(
                select_members,
                inputs=["oof_predictions", "params:compare"],
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
                ],
                outputs=["selected_ensemble_model", "selection_table"],
                name="fit_selected_ensemble_node",
                tags=["ensemble"],
            ),
        ]
    )
    return compare_pipeline() + select
