"""Project pipelines, shaped by the configuration Kedro resolves for the run.

The ensemble's members and the inference predictor come from the parameters of the
run's config loader (``configuration``): ``--env``, ``KEDRO_ENV``, ``--params`` and
``--conf-source`` decide them in every command.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline

from .configuration import run_parameters
from .pipelines import (
    benchmark,
    compare,
    ensemble,
    features,
    inference,
    ingestion,
    report,
    select,
    train,
    tune,
)


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    ``__default__`` is ``train`` (ingestion, features, training, evaluation) followed
    by ``report``.
    """
    params = run_parameters()
    pipelines = {
        "ingestion": ingestion.create_pipeline(),
        "features": features.create_pipeline(),
        "train": train.create_pipeline(),
        "benchmark": benchmark.create_pipeline(),
        "compare": compare.create_pipeline(),
        "select": select.create_pipeline(),
        "tune": tune.create_pipeline(),
        "report": report.create_pipeline(),
        "ensemble": ensemble.create_pipeline(params["ensemble"]),
        "inference": inference.create_pipeline(params["inference"].predictor),
        "inference_single": inference.create_pipeline("trained_model"),
        "inference_ensemble": inference.create_pipeline("ensemble_model"),
        "inference_selected": inference.create_pipeline("selected_ensemble_model"),
    }
    pipelines["__default__"] = pipelines["train"] + pipelines["report"]
    return pipelines
