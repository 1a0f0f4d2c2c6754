"""One namespaced training pipeline per member, then voting.

Members come from the run's resolved ``ensemble`` block when the pipelines are
registered, so kedro-viz shows each one and ``kedro run --namespaces=<member>``
retrains one alone.
"""

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from ...parameters import EnsembleParams
from ..features import create_pipeline as features_pipeline
from ..inference import create_test_input_pipeline
from ..ingestion import create_pipeline as ingestion_pipeline
from ..train.pipeline import MODEL_INPUTS, training_nodes
from .nodes import combine_members, member_parameters, train_study_members

SHARED_INPUTS = set(MODEL_INPUTS)


def _bound(func, **kwargs):
    """``partial`` that keeps the function's name (for node names and kedro-viz)."""
    return update_wrapper(partial(func, **kwargs), func)


def _member_pipeline(member: str, seed, namespace: str) -> Pipeline:
    nodes = [
        Node(
            _bound(member_parameters, member=member, seed=seed),
            inputs=["params:train", "params:candidates", "params:ensemble"],
            outputs="train_params",
            name="member_parameters_node",
        ),
        *training_nodes(params="train_params"),
    ]
    return Pipeline(
        nodes,
        namespace=namespace,
        inputs=SHARED_INPUTS,
        parameters={"params:train", "params:candidates", "params:ensemble"},
        tags=["ensemble_member"],
    )


def create_pipeline(ensemble: EnsembleParams | None = None, **kwargs) -> Pipeline:
    ensemble = ensemble or EnsembleParams()
    members = Pipeline([])
    model_inputs, names = [], []
    for name in ensemble.members:
        for seed in ensemble.seeds_of(name):
            namespace = f"{name}_seed{seed}"
            members += _member_pipeline(name, seed, namespace)
            model_inputs.append(f"{namespace}.trained_model")
            names.append(namespace)
    if ensemble.include_fold_models:
        model_inputs.append("cv_models")
        names.append("fold")
    study_members = Pipeline([])
    if ensemble.study_members.k > 0:
        study_members = Pipeline(
            [
                Node(
                    train_study_members,
                    inputs=[
                        *MODEL_INPUTS,
                        "optuna_storage",
                        "params:train",
                        "params:tune",
                        "params:ensemble",
                    ],
                    outputs="study_member_models",
                    name="train_study_members_node",
                    tags=["ensemble_member", "training"],
                )
            ]
        )
        model_inputs.append("study_member_models")
        names.append("trial")
    combine = Node(
        _bound(combine_members, names=names),
        inputs=[
            "model_input_train",
            "model_input_validation",
            "model_input_test",
            "params:ensemble",
            *model_inputs,
        ],
        outputs=["ensemble_model", "ensemble_comparison"],
        name="combine_members_node",
        tags=["ensemble"],
    )
    return (
        ingestion_pipeline()
        + features_pipeline()
        + create_test_input_pipeline()
        + members
        + study_members
        + Pipeline([combine])
    )
