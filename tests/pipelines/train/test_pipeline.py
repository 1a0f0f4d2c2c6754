"""The train pipeline through a real KedroSession on tiny synthetic data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pirate_pain.datasets import TorchModelDataset
from pirate_pain.errors import find_user_error
from tests.conftest import (
    TINY_TRAIN,
    kedro_cli,
    make_project,
    nodes_ran,
    read_output,
    run_pipeline,
)


def _latest(path: Path) -> Path:
    """The newest version file of a versioned dataset."""
    return sorted(path.glob("*/" + path.name))[-1]


@pytest.mark.slow
def test_train_pipeline_end_to_end(project):
    run_pipeline(project, "train", {"train": TINY_TRAIN})
    reporting = project / "data" / "08_reporting"
    metrics = json.loads(_latest(reporting / "validation_metrics.json").read_text())
    matrix = np.asarray(metrics["confusion_matrix"]["matrix"])
    f1 = 2 * np.diag(matrix) / np.maximum(matrix.sum(0) + matrix.sum(1), 1)
    assert metrics["macro_f1"] == pytest.approx(f1.mean())  # agrees with its matrix
    assert set(metrics["per_class"]) == {"no_pain", "low_pain", "high_pain"}
    matrix = metrics["confusion_matrix"]["matrix"]
    assert sum(map(sum, matrix)) == 12  # 20 % of 60 sequences
    assert _latest(reporting / "confusion_matrix.png").stat().st_size > 1000
    assert _latest(reporting / "learning_curves.png").stat().st_size > 1000
    history = json.loads(_latest(reporting / "training_history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    model_file = _latest(project / "data/06_models/trained_model.pt")
    artifact = TorchModelDataset(str(model_file)).load()
    assert artifact["train_config"]["model"]["hidden_size"] == 8
    assert "joint_30" not in artifact["preprocessing"]["kept_features"]
    marker = project / "data/01_raw/synthetic/SYNTHETIC_DATA.md"
    assert "SYNTHETIC" in marker.read_text()

    run_pipeline(project, "report")
    report = _latest(reporting / "run_report.html").read_text()
    for part in (
        "Class balance",
        "Dropped features",
        "joint_30",
        "n_limbs",
        "Validation metrics",
        "Confusion matrix",
        "Learning curves",
    ):
        assert part in report
    assert report.count("data:image/png;base64,") == 2
    assert "Ensemble against its members" not in report  # the ensemble has not run

    # Same seed, same data, same parameters: the very same metrics.
    run_pipeline(
        project, "train", {"train": TINY_TRAIN}, from_nodes=["train_model_node"]
    )
    versions = sorted((reporting / "validation_metrics.json").glob("*/*"))
    assert len(versions) == 2
    again = json.loads(versions[-1].read_text())
    assert again == metrics

    # Retraining alone leaves metrics of the earlier model: the report refuses to mix
    run_pipeline(
        project,
        "train",
        {"train": {**TINY_TRAIN, "epochs": 3}},
        node_names=["train_model_node"],
    )
    with pytest.raises(Exception) as info:
        run_pipeline(project, "report")
    message = str(find_user_error(info.value))
    new_model = json.loads(_latest(reporting / "training_history.json").read_text())
    assert f"validation_metrics describes model {metrics['model_id']}" in message
    assert f"training_history describes model {new_model[0]['model_id']}" in message


@pytest.mark.slow
def test_cli_rerun_from_training_and_clear_errors(tmp_path):
    root = make_project(tmp_path / "project")
    tiny = ",".join(
        [
            "train.epochs=1",
            "train.model.hidden_size=4",
            "train.model.num_layers=1",
            "train.progress_bar=false",
        ]
    )
    first = kedro_cli(root, "run", "--pipeline=train", f"--params={tiny}")
    assert first.returncode == 0, first.stderr[-2000:]
    assert "Data: SYNTHETIC" in first.stderr

    rerun = kedro_cli(
        root,
        "run",
        "--pipeline=train",
        "--from-nodes=train_model_node",
        f"--params={tiny},train.model.hidden_size=6",
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    ran = nodes_ran(rerun)
    assert ran == {
        "train_model_node",
        "evaluate_model_node",
        "plot_confusion_matrix_node",
        "plot_learning_curves_node",
    }

    bad_choice = kedro_cli(
        root, "run", "--pipeline=train", "--params=train.model.cell=tcn"
    )
    assert bad_choice.returncode == 1
    assert bad_choice.stderr.strip().splitlines()[-1] == (
        "Error: train.model.cell is 'tcn': choose one of rnn, lstm, gru, none."
    )

    before = sorted(
        p.name for p in (root / "data/06_models/trained_model.pt").iterdir()
    )
    raw = root / "data/01_raw/synthetic/pirate_pain_train.csv"
    raw.write_text(
        raw.read_text().replace(",two,", ",2,", 1).replace("\n000,1,", "\n000,x,", 1)
    )
    broken = kedro_cli(root, "run", "--pipeline=train", f"--params={tiny}")
    assert broken.returncode == 1
    last = broken.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "pirate_pain_train.csv" in last
    assert "non-numeric value 'x'" in last
    after = sorted(p.name for p in (root / "data/06_models/trained_model.pt").iterdir())
    assert after == before  # nothing new written, nothing overwritten


@pytest.mark.slow
def test_a_rocket_backbone_trains_reports_and_predicts(project):
    """``--params=train.model.backbone=minirocket``: the same pipelines, a member file
    of tensors and a skops blob, a report with its one fit, a submission."""
    params = {"train": {"model": {"backbone": "minirocket"}}}
    run_pipeline(project, "train", params)
    model_dir = project / "data" / "06_models" / "trained_model.pt"
    artifact = TorchModelDataset(filepath=str(_latest(model_dir))).load()
    assert artifact["format"] == "pirate_pain.rocket/1"
    assert [h["epoch"] for h in artifact["history"]] == [1]
    reporting = project / "data" / "08_reporting"
    metrics = json.loads(_latest(reporting / "validation_metrics.json").read_text())
    assert metrics["model_id"] == artifact["model_id"]
    run_pipeline(project, "report", params)
    assert "Learning curves" in _latest(reporting / "run_report.html").read_text()
    run_pipeline(project, "inference", params)
    output = project / "data" / "07_model_output"
    probabilities = read_output(_latest(output / "test_probabilities.csv"))
    assert set(probabilities["model_id"]) == {artifact["model_id"]}
    assert np.allclose(probabilities.filter(like="p_").sum(1), 1.0, atol=1e-5)
