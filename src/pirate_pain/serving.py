"""The MLflow model: a raw challenge-format long frame in, one label and the class
probabilities per ``sample_index`` out.

Logged as a model from code (this file), so loading it unpickles nothing: the
predictor is read with ``torch.load(weights_only=True)`` and the settings are JSON.
It calls the inference pipeline's own node, so it answers exactly what
``kedro run --pipeline=inference`` writes for the same model.
"""

from __future__ import annotations

import json

import mlflow
import pandas as pd
import torch
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.pyfunc import PythonModel


class PainLevelModel(PythonModel):
    def load_context(self, context) -> None:
        from pirate_pain.parameters import InferenceParams

        self._predictor = torch.load(
            context.artifacts["predictor"], map_location="cpu", weights_only=True
        )
        with open(context.artifacts["settings"], encoding="utf-8") as handle:
            settings = json.load(handle)
        self._ingestion = settings["ingestion"]
        self._inference = InferenceParams(**settings["inference"])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """``sample_index, label, prediction_set, look_at, p_<class>...`` per
        sequence, in input order (the set where the model carries a calibration and
        ``inference.coverage`` is set);
        with ``params={"attributions": true}`` also its ``top_columns``."""
        from pirate_pain.errors import UserInputError
        from pirate_pain.pipelines.inference.nodes import (
            explain_test_predictions,
            predict_test_file,
        )

        frame = pd.DataFrame(model_input).copy()
        id_column = self._ingestion["id_column"]
        if id_column in frame:  # ids are names: '007' must stay '007'
            frame[id_column] = frame[id_column].astype(str)
        try:
            _, probabilities = predict_test_file(
                self._predictor, frame, self._ingestion, self._inference
            )
            if (params or {}).get("attributions"):
                asked = self._inference.model_copy(update={"attributions": True})
                explained = explain_test_predictions(
                    self._predictor, frame, probabilities, self._ingestion, asked
                )
                top = explained.get("top_columns", {})
                probabilities["top_columns"] = [
                    "|".join(top.get(str(s), [])) for s in probabilities[id_column]
                ]
        except UserInputError as exc:  # the server answers 400 with this sentence
            raise MlflowException(str(exc), error_code=INVALID_PARAMETER_VALUE) from exc
        return probabilities.drop(columns="model_id")


mlflow.models.set_model(PainLevelModel())
