"""Project pipelines."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from kedro.pipeline import Pipeline

from pirate_pain.pipelines import (
    benchmark,
    ensemble,
    features,
    inference,
    ingestion,
    report,
    train,
    tune,
)


def _parameters() -> dict[str, Any]:
    """Parameters that shape pipelines (ensemble members, inference predictor).

    Top-level blocks of ``conf/base`` then ``conf/$KEDRO_ENV`` (default ``local``),
    read as plain YAML: an OmegaConfigLoader here would re-register the global
    ``globals`` resolver. ``--params`` cannot add or remove nodes, and an
    environment that changes members must be given as ``KEDRO_ENV``.
    """
    conf = Path.cwd() / "conf"
    params: dict[str, Any] = {}
    for env in ("base", os.environ.get("KEDRO_ENV") or "local"):
        for path in sorted((conf / env).glob("parameters*.yml")):
            params.update(yaml.safe_load(path.read_text()) or {})
    return params


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    ``__default__`` is ``train`` (ingestion, features, training, evaluation) followed
    by ``report``.
    """
    params = _parameters()
    predictor = (params.get("inference") or {}).get("predictor", "trained_model")
    pipelines = {
        "ingestion": ingestion.create_pipeline(),
        "features": features.create_pipeline(),
        "train": train.create_pipeline(),
        "benchmark": benchmark.create_pipeline(),
        "tune": tune.create_pipeline(),
        "report": report.create_pipeline(),
        "ensemble": ensemble.create_pipeline(params.get("ensemble")),
        "inference": inference.create_pipeline(predictor),
        "inference_single": inference.create_pipeline("trained_model"),
        "inference_ensemble": inference.create_pipeline("ensemble_model"),
    }
    pipelines["__default__"] = pipelines["train"] + pipelines["report"]
    return pipelines
