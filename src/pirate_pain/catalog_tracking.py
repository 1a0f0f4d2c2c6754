"""What the catalog asks the tracking hook to record: ``metadata.mlflow`` entries.

A dataset's catalog entry says what MLflow keeps of it (``conf/base/catalog.yml``)::

    confusion_matrix_plot:
      metadata: {mlflow: {artifact_path: plots}}
    training_history:
      metadata: {mlflow: {artifact_path: reports, log: history}}
    trained_model:
      metadata: {mlflow: {log: model}}

kedro-mlflow's ``MlflowArtifactDataset`` would log the file too, but it logs into
MLflow's active run, which a ``ParallelRunner`` worker does not have (a new, unnamed
run, kedro-mlflow #689), it fails the save when the store is unreachable, and it
logs with tracking switched off: ``docs/upstream.md``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import UserInputError


class TrackedOutput(BaseModel):
    """One dataset's ``metadata.mlflow``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    artifact_path: str | None = None  # the run's artifact folder for the file
    log: (
        Literal[
            "history",
            "validation_scores",
            "comparison_scores",
            "calibration_scores",
            "model",
        ]
        | None
    ) = None  # what else the saved data becomes: metrics, or the served model


def tracked_outputs(conf_catalog: dict[str, Any]) -> dict[str, TrackedOutput]:
    """The datasets whose catalog entry has ``metadata.mlflow``, by name."""
    tracked = {}
    for name, entry in conf_catalog.items():
        metadata = entry.get("metadata") if isinstance(entry, dict) else None
        spec = (metadata or {}).get("mlflow")
        if spec is None:
            continue
        try:
            tracked[name] = TrackedOutput.model_validate(spec)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise UserInputError(
                f"The catalog entry {name} has metadata.mlflow.{where} "
                f"{problem['input']!r}: {problem['msg']} (artifact_path: a folder "
                "name; log: history, validation_scores, comparison_scores, calibration_scores "
                "or model)."
            ) from exc
    return tracked
