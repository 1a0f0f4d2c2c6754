"""Calibrated probabilities and prediction sets through the real pipelines: train
with k-fold (cross-conformal rows), inference with ``inference.coverage``, the
test-split figures and the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pirate_pain.datasets import TorchModelDataset
from tests.conftest import TINY_TRAIN, kedro_cli, read_output, run_pipeline

CLASSES = ["no_pain", "low_pain", "high_pain"]


def _latest(path: Path) -> Path:
    return sorted(path.glob("*/" + path.name))[-1]


@pytest.mark.slow
def test_sets_beside_the_labels_and_their_coverage_in_the_report(project, caplog):
    train = {**TINY_TRAIN, "cross_validation": {"folds": 3}}
    run_pipeline(project, "train", {"train": train})
    reporting, output = project / "data/08_reporting", project / "data/07_model_output"
    artifact = TorchModelDataset(
        filepath=str(_latest(project / "data/06_models/trained_model.pt"))
    ).load()
    calibration = artifact["calibration"]
    # the final model is scaled on its validation split, the fold models on every
    # labelled row, each predicted by a fold model that did not train on it
    assert 0 < len(calibration["fitted_on"]) < 60
    assert calibration["rows"] == (
        "validation split (scaling); out-of-fold predictions of 3 fold models (sets)"
    )
    assert calibration["fold_scaling"]["temperature"] > 0
    # cross-conformal: each fold model is stored and scores the rows it held out
    assert len(calibration["fold_models"]) == 3
    folds = np.asarray(calibration["conformal"]["folds"])
    assert sorted(set(folds)) == [1, 2, 3] and len(folds) == 60
    metrics = json.loads(_latest(reporting / "validation_metrics.json").read_text())
    assert metrics["calibration"]["temperature"] == calibration["temperature"]
    assert "scores" not in json.dumps(metrics["calibration"])  # figures only

    run_pipeline(project, "inference", {"inference": {"coverage": None}})
    plain = read_output(_latest(output / "submission.csv"))
    assert list(plain.columns) == ["sample_index", "label"]  # the challenge's format

    caplog.set_level("WARNING", logger="pirate_pain")
    run_pipeline(project, "inference", {"inference": {"attributions": True}})
    submission = read_output(_latest(output / "submission.csv"))
    # a class with fewer than 10 held-out rows is in every set at 0.9: one warning
    labels = np.asarray(calibration["conformal"]["labels"])
    few = [f"{c} ({n} rows)" for c, n in zip(CLASSES, np.bincount(labels)) if n < 10]
    warned = [
        r.getMessage() for r in caplog.records if "every set holds" in r.getMessage()
    ]
    assert few and warned == [warned[0]] and all(f in warned[0] for f in few)
    assert list(submission.columns) == [
        "sample_index",
        "label",
        "prediction_set",
        "look_at",
    ]
    assert submission["label"].tolist() == plain["label"].tolist()  # labels stay
    sets = [s.split("|") for s in submission["prediction_set"]]
    assert all(set(s) <= set(CLASSES) for s in sets)
    assert submission["look_at"].tolist() == [len(s) != 1 for s in sets]
    probabilities = read_output(_latest(output / "test_probabilities.csv"))
    assert np.allclose(probabilities.filter(like="p_").sum(1), 1.0, atol=1e-5)

    figures = json.loads(_latest(reporting / "test_calibration.json").read_text())
    assert figures["scored"] and figures["coverage"] == 0.9
    assert figures["model_id"] == artifact["model_id"]
    assert set(figures["sets"]["per_class"]) == set(CLASSES)
    size = np.mean([len(s) for s in sets])
    assert figures["sets"]["mean_set_size"] == pytest.approx(size)
    for when in ("before", "after"):
        assert 0 <= figures[when]["ece"] <= 1 and figures[when]["brier"] >= 0

    run_pipeline(project, "report")
    report = _latest(reporting / "run_report.html").read_text()
    assert "Calibration and prediction sets" in report
    assert "Prediction sets at 90% coverage (test split)" in report
    assert "Which columns and moments made the call" in report
    # confusion, learning curves, reliability, class attributions, sequence maps
    explained = json.loads(_latest(reporting / "test_attributions.json").read_text())
    assert explained["explained"] and explained["model_id"] == artifact["model_id"]
    assert report.count("data:image/png;base64,") == 4 + len(explained["maps"])
    assert set(explained["top_columns"]) == set(submission["sample_index"])
    for entry in explained["maps"].values():
        assert np.asarray(entry["map"]).shape[0] == len(explained["columns"])


def test_a_coverage_outside_zero_one_is_one_sentence(project):
    result = kedro_cli(
        project, "run", "--pipeline=inference", "--params=inference.coverage=1.5"
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: inference.coverage"), last
    assert not (project / "data/07_model_output").exists()
