"""Model inputs -> one worker's trials in the shared study -> best parameters.

Workers only read the model inputs: prepare them once per machine
(``kedro run --pipelines=ingestion,features``), so workers started together never
write the same files.
"""

from kedro.pipeline import Node, Pipeline

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
    return Pipeline([study])
