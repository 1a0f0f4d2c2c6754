"""Public benchmark conversion and the benchmark pipeline."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from pirate_pain.errors import UserInputError
from pirate_pain.public_data import ensure_public_dataset, ts_files, ts_to_long_format
from tests.conftest import REPO, TINY_TRAIN, read_output, run_pipeline


def test_japanese_vowels_is_ragged_and_keeps_the_official_split(tmp_path):
    train_ts, test_ts = ts_files("JapaneseVowels")
    frame, labels = ts_to_long_format(train_ts)
    lengths = frame.groupby("sample_index").size()
    assert len(labels) == 270 and lengths.min() == 7 and lengths.max() == 26
    assert list(frame.columns[:3]) == ["sample_index", "time", "dim_0"]
    assert frame.shape[1] == 2 + 12 and set(labels["label"]) == {
        str(i) for i in range(1, 10)
    }
    assert ensure_public_dataset("JapaneseVowels", tmp_path) is True
    assert ensure_public_dataset("JapaneseVowels", tmp_path) is False  # already there
    test = pd.read_csv(tmp_path / "pirate_pain_test.csv", dtype={"sample_index": str})
    test_labels = pd.read_csv(tmp_path / "test_labels.csv", dtype={"sample_index": str})
    assert test["sample_index"].nunique() == 370 == len(test_labels)
    assert test["sample_index"].iloc[0] == "270"  # ids continue after the train split


PUBLIC_ENVS = [
    env.name
    for env in sorted((REPO / "conf").iterdir())
    if (env / "globals.yml").exists()
    and yaml.safe_load((env / "globals.yml").read_text()).get("data_source") == "public"
]


@pytest.mark.parametrize("env", PUBLIC_ENVS)
def test_every_public_environment_names_its_data_sets_labels(env):
    """The classes an environment declares are exactly the labels of its data set."""
    conf = REPO / "conf" / env
    name = yaml.safe_load((conf / "globals.yml").read_text())["public_dataset"]
    classes = yaml.safe_load((conf / "parameters.yml").read_text())["ingestion"]
    _, labels = ts_to_long_format(ts_files(name)[0])
    assert sorted(classes["classes"]) == sorted(set(labels["label"]))


def test_unknown_benchmark_is_named(tmp_path):
    with pytest.raises(UserInputError, match="NoSuchSet_TRAIN.ts does not exist"):
        ts_files(str(tmp_path / "NoSuchSet"))


@pytest.mark.slow
def test_benchmark_pipeline_table(project):
    benchmark = {"seeds": [1, 2], "models": ["gru"], "baselines": ["minirocket"]}
    with open(project / "conf/local/parameters_benchmark.yml", "w") as handle:
        yaml.safe_dump({"benchmark": benchmark, "candidates": {"gru": {}}}, handle)
    run_pipeline(project, "benchmark", {"train": TINY_TRAIN})
    folder = project / "data/08_reporting/benchmark_table.csv"
    table = read_output(sorted(folder.glob("*/*"))[-1])
    assert list(table.columns) == [
        "model",
        "seed",
        "macro_f1",
        "accuracy",
        "fit_seconds",
        "predict_seconds",
    ]
    assert table["model"].tolist() == [
        "gru",
        "gru",
        "minirocket",
        "minirocket",
        "gru",
        "minirocket",
    ]
    assert table["seed"].astype(str).tolist()[-2:] == ["mean", "mean"]
    gru = table[(table.model == "gru") & (table.seed != "mean")]["macro_f1"].mean()
    assert table.iloc[-2]["macro_f1"] == pytest.approx(gru, abs=1e-4)
    assert (table["fit_seconds"] > 0).all()
