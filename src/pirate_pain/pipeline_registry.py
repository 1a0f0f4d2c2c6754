"""Project pipelines."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader
from kedro.pipeline import Pipeline

from pirate_pain.pipelines import ensemble, features, inference, ingestion, train


def _parameters() -> dict[str, Any]:
    """Parameters that shape pipelines (ensemble members, inference predictor).

    Read from ``conf/`` of the project in the working directory, with the
    environment in ``KEDRO_ENV`` (``--params`` cannot add or remove nodes).
    """
    conf = Path.cwd() / "conf"
    if not conf.exists():
        return {}
    loader = OmegaConfigLoader(
        str(conf),
        base_env="base",
        default_run_env="local",
        env=os.environ.get("KEDRO_ENV"),
    )
    return dict(loader["parameters"])


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    ``__default__`` is ``train``: ingestion, features, training and evaluation.
    """
    params = _parameters()
    predictor = (params.get("inference") or {}).get("predictor", "trained_model")
    pipelines = {
        "ingestion": ingestion.create_pipeline(),
        "features": features.create_pipeline(),
        "train": train.create_pipeline(),
        "ensemble": ensemble.create_pipeline(params.get("ensemble")),
        "inference": inference.create_pipeline(predictor),
        "inference_single": inference.create_pipeline("trained_model"),
        "inference_ensemble": inference.create_pipeline("ensemble_model"),
    }
    pipelines["__default__"] = pipelines["train"]
    return pipelines
