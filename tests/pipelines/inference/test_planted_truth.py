"""The attributions find what the synthetic generator planted: a model trained on
synthetic data through the real pipelines looks at the pain-episode columns, and
at the moments of the episodes (``planted_episodes.csv``, never trained on)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from kedro.framework.startup import bootstrap_project

from pirate_pain.synthetic import PLANTED_JOINTS, TRUTH_FILE
from tests.conftest import make_project, run_pipeline

BURSTS = ["joint_26", "joint_27", "joint_28", "joint_29"]  # rise with each episode
GLOBALS = {
    "data_source": "synthetic",
    "raw_dir": "data/01_raw/synthetic",
    "synthetic": {"n_train": 300, "n_test": 300, "n_steps": 160, "seed": 7},
}
TRAIN = {
    "epochs": 20,
    "patience": 20,
    "progress_bar": False,
    "model": {"backbone": "resnet", "backbone_filters": 16},
}


@pytest.mark.slow
def test_attributions_point_at_the_planted_columns_and_episodes(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project", GLOBALS)
    monkeypatch.chdir(root)
    bootstrap_project(root)
    run_pipeline(root, "train", {"train": TRAIN})
    run_pipeline(root, "inference", {"inference": {"attributions": True}})
    found = sorted((root / "data/08_reporting/test_attributions.json").glob("*/*"))
    explained = json.loads(found[-1].read_text())
    columns = explained["columns"]

    # the class: the columns the episodes live in come first
    shares = np.asarray(explained["per_class"]["high_pain"]["columns"])
    top = [columns[i] for i in np.argsort(-shares)[:8]]
    assert set(top) <= set(PLANTED_JOINTS + BURSTS), top
    assert len(set(top) & set(PLANTED_JOINTS)) >= 4, top

    # each high_pain call on a high_pain sequence: its peak moment lies inside
    # one of the sequence's episodes, far more often than a random moment would
    truth = pd.read_csv(root / "data/01_raw/synthetic" / TRUTH_FILE, dtype=str)
    truth = truth[(truth["split"] == "test") & (truth["true_label"] == "high_pain")]
    truth[["start", "length"]] = truth[["start", "length"]].astype(int)
    submission = sorted((root / "data/07_model_output/submission.csv").glob("*/*"))
    labels = pd.read_csv(submission[-1], dtype=str).set_index("sample_index")["label"]
    inside, covered = [], []
    for sample, episodes in truth.groupby("sample_index"):
        if labels[sample] != "high_pain":
            continue
        peak, ends = (
            explained["peak_step"][sample],
            episodes["start"] + episodes["length"],
        )
        inside.append(bool(((episodes["start"] <= peak) & (peak < ends)).any()))
        steps = np.zeros(GLOBALS["synthetic"]["n_steps"], bool)
        for start, end in zip(episodes["start"], ends):
            steps[start:end] = True
        covered.append(steps.mean())
    assert len(inside) >= 10
    assert np.mean(inside) >= 0.7, (np.mean(inside), np.mean(covered))
    assert np.mean(inside) > np.mean(covered) + 0.1, (np.mean(inside), np.mean(covered))
