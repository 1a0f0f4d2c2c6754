"""Model inputs -> trained, evaluated model; ``train`` also runs ingestion and features."""

from kedro.pipeline import Node, Pipeline

from ..features import create_pipeline as features_pipeline
from ..ingestion import create_pipeline as ingestion_pipeline
from .nodes import (
    cross_validate,
    evaluate_model,
    plot_training_curves,
    plot_validation_confusion_matrix,
    train_model,
)

MODEL_INPUTS = ["model_input_train", "model_input_validation", "feature_transform"]


def training_nodes(params: str = "params:train", folds: bool = False) -> list[Node]:
    """Train one model and plot its learning curves (the ensemble reuses these);
    ``folds``: the fold models of ``cv_models`` (scaled on their out-of-fold rows)
    make the prediction sets when there are."""
    return [
        Node(
            train_model,
            inputs=[*MODEL_INPUTS, params, *(["cv_models"] if folds else [])],
            outputs=["trained_model", "training_history"],
            name="train_model_node",
            tags=["training"],
        ),
        Node(
            plot_training_curves,
            inputs="training_history",
            outputs="learning_curves_plot",
            name="plot_learning_curves_node",
            tags=["evaluation"],
        ),
    ]


def create_model_pipeline(cross_validation: bool = True) -> Pipeline:
    """Train and evaluate one model, with k-fold cross validation when enabled."""
    nodes = [
        *training_nodes(folds=cross_validation),
        Node(
            evaluate_model,
            inputs=["trained_model", "model_input_validation", "cv_summary"],
            outputs=["validation_metrics", "validation_predictions"],
            name="evaluate_model_node",
            tags=["evaluation"],
        ),
        Node(
            plot_validation_confusion_matrix,
            inputs="validation_metrics",
            outputs="confusion_matrix_plot",
            name="plot_confusion_matrix_node",
            tags=["evaluation"],
        ),
    ]
    if cross_validation:
        nodes.append(
            Node(
                cross_validate,
                inputs=[*MODEL_INPUTS, "params:train", "params:fanout"],
                outputs=["cv_models", "cv_summary"],
                name="cross_validate_node",
                tags=["training"],
            )
        )
    return Pipeline(nodes)


def create_pipeline(**kwargs) -> Pipeline:
    return ingestion_pipeline() + features_pipeline() + create_model_pipeline()
