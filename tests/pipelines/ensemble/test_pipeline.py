"""A tiny ensemble and inference end to end through a KedroSession."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from pirate_pain.errors import find_user_error
from tests.conftest import TINY_TRAIN, kedro_cli, read_output, run_pipeline
from tests.tracking.assertions import assert_members_tracked

TINY_ENSEMBLE = {
    "candidates": {
        "gru": {},
        "lstm": {"model": {"cell": "lstm"}},
        "fcn": {  # convolutional only, batch norm buffers, fit on validation
            "fit_on_validation": True,
            "model": {
                "cell": "none",
                "conv_channels": 4,
                "conv_batch_norm": True,
                "head": "mean",
            },
        },
    },
    "ensemble": {
        "vote": "hard",
        "members": ["gru", "lstm", "fcn"],
        "seeds": [1],
        "member_seeds": {"gru": [1, 2]},
    },
}


@pytest.fixture
def ensemble_project(project):
    """The members live in the project's own environment (``conf/local``)."""
    with open(project / "conf/local/parameters.yml", "w") as handle:
        yaml.safe_dump(TINY_ENSEMBLE, handle)
    return project


def _latest_csv(folder) -> pd.DataFrame:
    newest = sorted(folder.glob("*/" + folder.name))[-1]
    return read_output(newest)


@pytest.mark.slow
def test_ensemble_and_inference_end_to_end(ensemble_project):
    root = ensemble_project
    params = {"train": TINY_TRAIN}
    # `kedro run --runner=ParallelRunner` gives the very same members and predictions
    # as a sequential `kedro run` (both through Kedro's command line).
    tiny = ",".join(
        [
            "train.epochs=2",
            "train.batch_size=16",
            "train.progress_bar=false",
            "train.model.hidden_size=8",
            "train.model.num_layers=1",
        ]
    )
    tables = []
    for runner in ([], ["--runner=ParallelRunner"]):
        result = kedro_cli(
            root, "run", "--pipeline=ensemble", f"--params={tiny}", *runner
        )
        assert result.returncode == 0, result.stderr[-3000:]
        tables.append(_latest_csv(root / "data/08_reporting/ensemble_comparison.csv"))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    expected = {
        "gru_seed1",
        "gru_seed2",
        "lstm_seed1",
        "fcn_seed1",
        "ensemble (hard vote)",
        "ensemble (soft vote)",
    }
    assert set(tables[1]["model"]) == expected
    assert set(tables[1]["split"]) == {"validation", "test"}  # synthetic test: labels
    for member in ("gru_seed1", "gru_seed2", "lstm_seed1", "fcn_seed1"):
        assert any(
            (root / f"data/06_models/ensemble/{member}/trained_model.pt").iterdir()
        )
    assert_members_tracked(root, {m for m in expected if "vote" not in m})

    run_pipeline(root, "inference_ensemble", params)
    submission = _latest_csv(root / "data/07_model_output/submission.csv")
    raw = pd.read_csv(
        root / "data/01_raw/synthetic/pirate_pain_test.csv", dtype={"sample_index": str}
    )
    # fcn trained on the validation split: no held-out rows to calibrate the vote
    # on, so no prediction sets (the log says so)
    assert list(submission.columns) == ["sample_index", "label"]
    assert submission["sample_index"].tolist() == list(pd.unique(raw["sample_index"]))
    assert submission["sample_index"].iloc[0] == "000"
    assert set(submission["label"]) <= {"no_pain", "low_pain", "high_pain"}
    probabilities = _latest_csv(root / "data/07_model_output/test_probabilities.csv")
    assert probabilities.filter(like="p_").sum(axis=1).round(3).eq(1.0).all()

    # Reordered columns with the same names are fine; the same labels come out.
    shuffled = raw[raw.columns[::-1]]
    shuffled.to_csv(root / "data/01_raw/synthetic/pirate_pain_test.csv", index=False)
    run_pipeline(root, "inference_ensemble", params)
    pd.testing.assert_frame_equal(
        _latest_csv(root / "data/07_model_output/submission.csv"), submission
    )


def _inference_error(root, frame: pd.DataFrame) -> str:
    frame.to_csv(root / "data/01_raw/synthetic/pirate_pain_test.csv", index=False)
    with pytest.raises(Exception) as info:
        run_pipeline(root, "inference_single", {"train": TINY_TRAIN})
    error = find_user_error(info.value)
    assert error is not None, info.value
    return str(error)


@pytest.mark.slow
def test_bad_test_files_are_refused(project):
    run_pipeline(project, "train", {"train": TINY_TRAIN})
    raw_path = project / "data/01_raw/synthetic/pirate_pain_test.csv"
    shutil.copy(raw_path, project / "test_backup.csv")
    raw = pd.read_csv(raw_path, dtype={"sample_index": str})

    assert "missing column(s) joint_05" in _inference_error(
        project, raw.drop(columns=["joint_05"])
    )
    assert "unexpected column(s) joint_31" in _inference_error(
        project, raw.assign(joint_31=0.0)
    )
    renamed = _inference_error(project, raw.rename(columns={"joint_05": "joint_5"}))
    assert "missing column(s) joint_05" in renamed
    swapped = raw.rename(columns={"joint_00": "joint_20", "joint_20": "joint_00"})
    message = _inference_error(project, swapped)
    assert "'joint_00'" in message and "distributed unlike training" in message
    # the swap that once changed 35 of 60 labels
    survey = raw.rename(
        columns={"joint_00": "pain_survey_1", "pain_survey_1": "joint_00"}
    )
    assert "distributed unlike training" in _inference_error(project, survey)
    recoded = raw.assign(n_legs=raw["n_legs"].replace("two", "2"))
    assert "Column 'n_legs' has value(s) '2' that training never saw" in (
        _inference_error(project, recoded)
    )
    # a user who knows better can say so; the labels then come out
    recoded.to_csv(raw_path, index=False)
    run_pipeline(
        project,
        "inference_single",
        {"train": TINY_TRAIN, "inference": {"accept_unlike_training": True}},
    )
    shutil.copy(project / "test_backup.csv", raw_path)
