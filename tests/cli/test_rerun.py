"""`kedro rerun`: nothing changed, a train parameter changed, a feature parameter changed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, kedro_cli, make_project, nodes_ran


def _write_local(root: Path, train: dict, features: dict) -> None:
    with open(root / "conf/local/parameters.yml", "w") as handle:
        yaml.safe_dump({"train": train, "features": features}, handle)


@pytest.mark.slow
def test_rerun_runs_exactly_what_changed(tmp_path):
    root = make_project(tmp_path / "project")
    base = yaml.safe_load((REPO / "conf/base/parameters_train.yml").read_text())[
        "train"
    ]
    train = {
        **base,
        "epochs": 1,
        "progress_bar": False,
        "model": {**base["model"], "hidden_size": 4, "num_layers": 1},
    }
    features = yaml.safe_load((REPO / "conf/base/parameters_features.yml").read_text())[
        "features"
    ]
    _write_local(root, train, features)
    first = nodes_ran(kedro_cli(root, "run", "--pipeline=train"))
    assert "train_model_node" in first

    nothing = kedro_cli(root, "rerun", "--pipeline=train")
    assert nodes_ran(nothing) == set()
    assert "Nothing changed: no node to run." in nothing.stdout

    # `kedro rerun` takes --params like `kedro run`
    planned = kedro_cli(
        root, "rerun", "--pipeline=train", "--dry-run", "--params=train.epochs=2"
    )
    assert nodes_ran(planned) == set()
    # k-fold runs first (its out-of-fold rows calibrate the model), the model after
    assert "cross_validate_node: parameters train changed" in planned.stdout
    assert "downstream: train_model_node" in planned.stdout
    assert "fit_feature_transform_node" not in planned.stdout

    train["model"]["hidden_size"] = 6
    _write_local(root, train, features)
    changed = kedro_cli(root, "rerun", "--pipeline=train")
    assert nodes_ran(changed) == {
        "train_model_node",
        "cross_validate_node",
        "evaluate_model_node",
        "plot_confusion_matrix_node",
        "plot_learning_curves_node",
    }
    assert "cross_validate_node: parameters train changed" in changed.stdout

    features["correlation_threshold"] = 0.95
    _write_local(root, train, features)
    plan = kedro_cli(root, "rerun", "--pipeline=train", "--dry-run").stdout
    assert "split_train_validation_node: parameters features changed" in plan
    assert "fit_feature_transform_node" in plan and "train_model_node" in plan
    assert "validate_train_sequences_node" not in plan
    assert "attach_train_labels_node" not in plan
    # under ParallelRunner (no node hooks in its workers) fingerprints are kept too
    parallel = kedro_cli(root, "rerun", "--pipeline=train", "--runner=ParallelRunner")
    assert parallel.returncode == 0, parallel.stderr[-3000:]
    assert nodes_ran(kedro_cli(root, "rerun", "--pipeline=train")) == set()
