"""Model inputs -> one worker's trials in the shared study -> best parameters."""

from kedro.pipeline import Node, Pipeline

from ..features import create_pipeline as features_pipeline
from ..ingestion import create_pipeline as ingestion_pipeline
from .nodes import run_study


def create_pipeline(**kwargs) -> Pipeline:
    study = Node(
        run_study,
        inputs=[
            "model_input_train",
            "model_input_validation",
            "optuna_storage",
            "params:train",
            "params:tune",
        ],
        outputs=[
            "tuned_train_parameters",
            "tuning_trials",
            "tuning_summary",
            "tuning_history_plot",
            "tuning_importance_plot",
            "tuning_parallel_plot",
        ],
        name="run_study_node",
        tags=["tuning"],
    )
    return ingestion_pipeline() + features_pipeline() + Pipeline([study])
