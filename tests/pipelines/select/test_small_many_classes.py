"""Small labelled data with many classes: every route the data allows runs, and a
route it cannot support stops before the first node with one sentence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from pirate_pain.errors import UserInputError
from pirate_pain.modeling.data import stratified_holdout
from tests.conftest import TINY_TRAIN, read_output, run_pipeline

CLASSES = [f"c{k}" for k in range(10)]


def _write_ragged(folder, per_class: int, n_test: int, seed: int = 3) -> None:
    """Long-format files: 10 classes, ``per_class`` sequences each, 12-30 steps."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def frame(ids, classes):
        rows = []
        for sample, label in zip(ids, classes):
            steps = int(rng.integers(12, 31))
            t = np.arange(steps)
            signal = np.sin(t / (2 + label)) + 0.1 * rng.standard_normal(steps)
            rows.append(
                pd.DataFrame(
                    {"sample_index": sample, "time": t, "a": signal, "b": label + 0 * t}
                )
            )
        return pd.concat(rows)

    labels = np.repeat(np.arange(10), per_class)
    ids = [f"s{i:03d}" for i in range(len(labels))]
    frame(ids, labels).to_csv(folder / "pirate_pain_train.csv", index=False)
    pd.DataFrame({"sample_index": ids, "label": [CLASSES[k] for k in labels]}).to_csv(
        folder / "pirate_pain_train_labels.csv", index=False
    )
    test_labels = np.arange(n_test) % 10
    test_ids = [f"t{i:03d}" for i in range(n_test)]
    frame(test_ids, test_labels).to_csv(folder / "pirate_pain_test.csv", index=False)
    pd.DataFrame(
        {"sample_index": test_ids, "label": [CLASSES[k] for k in test_labels]}
    ).to_csv(folder / "test_labels.csv", index=False)


def _environment(project, per_class: int) -> None:
    _write_ragged(project / "data/01_raw/many", per_class, n_test=20)
    env = project / "conf/many"
    env.mkdir()
    (env / "globals.yml").write_text(
        yaml.safe_dump({"data_source": "challenge", "raw_dir": "data/01_raw/many"})
    )
    (env / "parameters.yml").write_text(
        yaml.safe_dump(
            {
                "ingestion": {
                    "classes": CLASSES,
                    "categorical_columns": [],
                    "numeric_columns": ["a", "b"],
                    "unequal_lengths": "pad",
                },
                "features": {
                    "merge_categorical": {"enabled": False},
                    "scaling_groups": [
                        {"name": "all", "columns": ["a", "b"], "scaler": "standard"}
                    ],
                },
            }
        )
    )


def test_the_inner_holdout_keeps_one_sequence_of_every_class_where_it_can():
    y = np.repeat(np.arange(10), 4)  # 40 rows, 10 classes: 20 % would be 8 rows
    data = {"y": y, "x": np.zeros((40, 3, 1)), "class_names": np.array(CLASSES)}
    fit, held = stratified_holdout(data, 0.2, seed=1)
    assert sorted(set(held["y"])) == list(range(10))
    assert sorted(set(fit["y"])) == list(range(10))
    assert len(held["y"]) + len(fit["y"]) == 40


def test_a_class_of_one_stays_in_the_fit_part():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2])
    data = {"y": y, "x": np.zeros((9, 3, 1)), "class_names": np.array(["a", "b", "c"])}
    fit, held = stratified_holdout(data, 0.25, seed=1)
    assert 2 in fit["y"] and 2 not in held["y"]
    assert {0, 1} <= set(held["y"])


@pytest.mark.slow
def test_select_on_ten_classes_of_five_ragged_sequences_completes(project):
    _environment(project, per_class=5)
    params = {
        "train": TINY_TRAIN,
        "select": {"candidates": ["bigru", "minirocket"], "folds": 2, "max_members": 3},
    }
    run_pipeline(project, "select", params, env="many")
    selection = json.loads(
        sorted((project / "data/08_reporting/ensemble_selection.json").glob("*/*"))[
            -1
        ].read_text()
    )
    assert set(selection["weights"]) <= {"bigru", "minirocket"}
    table = read_output(
        sorted((project / "data/08_reporting/selection_table.csv").glob("*/*"))[-1]
    )
    assert table["model"].tolist()[0] == "selected ensemble"
    run_pipeline(project, "inference_selected", params, env="many")
    submission = read_output(
        sorted((project / "data/07_model_output/submission.csv").glob("*/*"))[-1],
        dtype=str,
    )
    assert set(submission["label"]) <= set(CLASSES) and len(submission) == 20


@pytest.mark.slow
def test_train_and_compare_on_ten_classes_of_five(project):
    _environment(project, per_class=5)
    run_pipeline(project, "train", {"train": TINY_TRAIN}, env="many")
    params = {"train": TINY_TRAIN, "compare": {"candidates": ["bigru"], "folds": 2}}
    run_pipeline(project, "compare", params, env="many")
    table = read_output(
        sorted((project / "data/08_reporting/comparison_table.csv").glob("*/*"))[-1]
    )
    assert list(table["configuration"]) == ["bigru"]


@pytest.mark.slow
def test_too_few_sequences_for_the_folds_stop_before_the_first_node(project):
    _environment(project, per_class=2)
    params = {"train": TINY_TRAIN, "select": {"candidates": ["bigru"], "folds": 5}}
    with pytest.raises(UserInputError, match=r"Class 'c0' has 2 .*select\.folds"):
        run_pipeline(project, "select", params, env="many")
    assert not list((project / "data").glob("0[2-8]_*/**/*.*"))


@pytest.mark.slow
def test_train_on_two_sequences_per_class_holds_one_of_each_out(project):
    _environment(project, per_class=2)
    run_pipeline(project, "train", {"train": TINY_TRAIN}, env="many")
    metrics = json.loads(
        sorted((project / "data/08_reporting/validation_metrics.json").glob("*/*"))[
            -1
        ].read_text()
    )
    assert sum(c["support"] for c in metrics["per_class"].values()) == 10


@pytest.mark.slow
def test_a_refused_route_leaves_no_tracking_run_open(project):
    """The class check runs before the tracking hook opens a run, so a later
    session in this process tracks into its own store."""
    import mlflow

    _environment(project, per_class=2)
    params = {"train": TINY_TRAIN, "select": {"candidates": ["bigru"], "folds": 5}}
    with pytest.raises(UserInputError):
        run_pipeline(project, "select", params, env="many")
    assert mlflow.active_run() is None
