"""Repeated k-fold comparison: the statistics, then the pipeline on tiny data."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pirate_pain.modeling.comparison import corrected_interval, paired_difference
from tests.conftest import TINY_TRAIN, read_output, run_pipeline


def test_identical_scores_differ_by_exactly_zero():
    scores = np.array([0.71, 0.74, 0.69, 0.73, 0.70, 0.72])
    assert paired_difference(scores, scores.copy(), 100, 25) == (0.0, 0.0, 0.0, 1.0)


def test_a_clearly_worse_configuration_is_significantly_worse():
    rng = np.random.default_rng(0)
    reference = 0.80 + 0.02 * rng.standard_normal(10)
    worse = reference - 0.10 + 0.01 * rng.standard_normal(10)
    diff, low, high, p_value = paired_difference(worse, reference, 100, 25)
    assert high < 0 and p_value < 0.01 and diff == pytest.approx(-0.10, abs=0.02)


def test_the_corrected_interval_is_wider_than_the_naive_one():
    scores = np.array([0.70, 0.75, 0.72, 0.78, 0.69, 0.74, 0.71, 0.76, 0.73, 0.72])
    mean, std, low, high = corrected_interval(scores, 80, 20)
    naive = 2.262 * std / np.sqrt(len(scores))  # t(0.975, 9)
    assert low < mean < high
    assert (high - low) / 2 == pytest.approx(
        naive * np.sqrt(1 + len(scores) * 20 / 80), rel=1e-3
    )


def test_one_fold_has_a_mean_and_no_interval_without_a_warning():
    # a raced candidate dropped after its first fold has one score
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean, std, low, high = corrected_interval(np.array([0.7]), 80, 20)
        diff, diff_low, diff_high, p_value = paired_difference(
            np.array([0.7]), np.array([0.8]), 80, 20
        )
    assert mean == 0.7 and diff == pytest.approx(-0.1)
    assert np.isnan([std, low, high, diff_low, diff_high, p_value]).all()


@pytest.mark.slow
def test_compare_pipeline_writes_table_plot_and_out_of_fold_predictions(project):
    params = {
        "train": TINY_TRAIN,
        "candidates": {"bigru_copy": {}},  # a new candidate: the base train block
        "compare": {
            "candidates": ["bigru", "bigru_copy", "bilstm"],
            "folds": 2,
            "repeats": 2,
        },
    }
    with open(project / "conf/local/parameters.yml", "w") as handle:
        import yaml

        yaml.safe_dump({"candidates": params.pop("candidates")}, handle)
    run_pipeline(project, "compare", params)
    reporting = project / "data/08_reporting"
    table = read_output(sorted((reporting / "comparison_table.csv").glob("*/*"))[-1])
    assert table["configuration"].tolist() == ["bigru", "bigru_copy", "bilstm"]
    copy = table.set_index("configuration").loc["bigru_copy"]
    assert copy["diff_vs_reference"] == 0.0 and copy["p_value"] == 1.0
    assert (table["fits"] == 4).all()
    assert (table["ci95_low"] <= table["macro_f1_mean"]).all()
    oof = read_output(
        sorted((project / "data/07_model_output/oof_predictions.csv").glob("*/*"))[-1],
        dtype={"sample_index": str},
    )
    per_repeat = oof.groupby(["configuration", "repeat"])["sample_index"]
    assert (per_repeat.nunique() == 60).all() and (per_repeat.size() == 60).all()
    assert sorted((reporting / "comparison_intervals.png").glob("*/*"))
    run_pipeline(project, "train", {"train": TINY_TRAIN})
    run_pipeline(project, "report")
    report = sorted((reporting / "run_report.html").glob("*/*"))[-1].read_text()
    assert "Repeated k-fold comparison" in report and "bigru_copy" in report
