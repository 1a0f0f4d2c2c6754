"""Ensemble selection on out-of-fold predictions: the rule, and that the test split
never reaches it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pirate_pain.modeling.selection import (
    anchored_selection,
    bagged_selection,
    greedy_selection,
)
from pirate_pain.parameters import CompareParams
from pirate_pain.pipelines.select.nodes import select_members
from tests.conftest import TINY_TRAIN, read_output, run_pipeline


def _probs(predicted: np.ndarray, confidence: float = 0.8) -> np.ndarray:
    probs = np.full((len(predicted), 3), (1 - confidence) / 2)
    probs[np.arange(len(predicted)), predicted] = confidence
    return probs[None]  # one repeat


def test_greedy_selection_combines_complementary_candidates():
    y = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    a = _probs(y)[0]
    a[y == 2] = [0.5, 0.1, 0.4]  # unsure where it is wrong: misses class 2
    b = _probs(y)[0]
    b[y == 1] = [0.5, 0.4, 0.1]  # misses class 1
    noise = _probs(np.array([1, 2, 0, 1, 0, 2, 1, 0]))
    probs = {"a": a[None], "noise": noise, "b": b[None]}
    selection = greedy_selection(probs, y, max_members=5)
    assert selection["best_single"] == "a"  # a tie with b: the first listed
    assert selection["weights"] == {"a": 1, "b": 1}
    assert selection["oof_macro_f1"] == 1.0
    first = selection["path"][0]
    assert first["added"] == "a" and first["oof_macro_f1"] == pytest.approx(0.6)
    assert first["oof_log_loss"] == pytest.approx(
        -(6 * np.log(0.8) + 2 * np.log(0.4)) / 8
    )


def test_equal_macro_f1_goes_to_the_lower_log_loss():
    """Both always right: the surer one is chosen although listed second, and
    adding the unsure one would only raise the log loss."""
    y = np.array([0, 0, 1, 2])
    probs = {"unsure": _probs(y, 0.5), "sure": _probs(y, 0.9)}
    selection = greedy_selection(probs, y, max_members=3)
    assert selection["best_single"] == "sure"
    assert selection["weights"] == {"sure": 1}
    assert selection["oof_log_loss"] == pytest.approx(-np.log(0.9))


def test_a_single_best_candidate_is_kept_alone():
    y = np.array([0, 0, 1, 2])
    probs = {"right": _probs(y), "wrong": _probs(np.array([1, 2, 0, 0]))}
    selection = greedy_selection(probs, y, max_members=4)
    assert selection["weights"] == {"right": 1}
    assert selection["oof_macro_f1"] == 1.0


def _complementary(copies: int) -> tuple[dict, np.ndarray]:
    """a misses class 2, b misses class 1, noise is right by chance only."""
    y = np.tile([0, 0, 0, 0, 1, 1, 2, 2], copies)
    a, b = _probs(y)[0], _probs(y)[0]
    a[y == 2] = [0.5, 0.1, 0.4]
    b[y == 1] = [0.5, 0.4, 0.1]
    noise = _probs(np.tile([1, 2, 0, 1, 0, 2, 1, 0], copies))
    return {"a": a[None], "noise": noise, "b": b[None]}, y


def test_bagged_selection_averages_greedy_runs_on_bootstrap_bags():
    probs, y = _complementary(copies=6)
    selection = bagged_selection(probs, y, max_members=5, bags=10, seed=1)
    assert len(selection["bags"]) == 10
    assert selection["weights"] == {"a": 0.5, "b": 0.5}  # noise wins no bag
    assert selection["oof_macro_f1"] == 1.0
    assert bagged_selection(probs, y, max_members=5, bags=10, seed=1) == selection


def _steady_and_lucky() -> tuple[dict, np.ndarray]:
    """lucky is right on one more of 60 rows than steady, by chance."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    steady, lucky = y.copy(), y.copy()
    steady[rng.choice(60, 8, replace=False)] = (y[:8] + 1) % 3
    lucky[rng.choice(60, 7, replace=False)] = (y[:7] + 2) % 3
    return {"steady": _probs(steady), "lucky": _probs(lucky)}, y


def test_a_lucky_candidate_gets_a_share_not_the_whole_vote():
    """lucky is right on one more row than steady; greedy takes lucky alone,
    bagged keeps steady too, since on many resamples steady is the better one."""
    probs, y = _steady_and_lucky()
    greedy = greedy_selection(probs, y, max_members=1)
    bagged = bagged_selection(probs, y, max_members=1, bags=25)
    assert greedy["weights"] == {"lucky": 1}
    assert 0.2 < bagged["weights"]["steady"] < 0.8
    assert sum(bagged["weights"].values()) == pytest.approx(1.0)


def test_anchored_keeps_the_anchor_where_greedy_wins_only_on_its_own_rows():
    probs, y = _steady_and_lucky()
    assert greedy_selection(probs, y, max_members=1)["weights"] == {"lucky": 1}
    for seed in range(3):  # on every draw of the nested folds
        selection = anchored_selection(probs, y, 1, anchor="steady", seed=seed)
        check = selection["anchor"]
        assert selection["weights"] == {"steady": 1}
        assert check["kept"] and check["anchor_macro_f1"] == pytest.approx(0.9004, 1e-3)
        assert check["greedy_nested_macro_f1"] < check["anchor_macro_f1"]
        assert selection["oof_macro_f1"] == check["anchor_macro_f1"]


def test_anchored_keeps_greedy_where_its_choices_win_on_unseen_rows():
    probs, y = _complementary(copies=6)
    every_fifth = np.arange(len(y)) % 5 == 0
    probs["anchor"] = _probs(np.where(every_fifth, (y + 1) % 3, y))
    selection = anchored_selection(probs, y, 5, anchor="anchor")
    assert selection["weights"] == greedy_selection(probs, y, 5)["weights"]
    assert selection["anchor"]["greedy_nested_macro_f1"] == 1.0
    assert not selection["anchor"]["kept"]


def test_a_lead_of_one_row_over_the_anchor_is_not_evidence():
    """On 90 rows, lucky is wrong once and the anchor twice: greedy's choice
    (lucky) leads on the rows it was not chosen on, but that lead holds in only
    about 60 % of bootstrap samples of them, so the anchor stays; on any lead
    (``confidence`` 0, the default) lucky replaces it."""
    y = np.repeat([0, 1, 2], 30)
    probs = {
        "lucky": _probs(np.where(np.arange(90) == 2, 1, y)),
        "anchor": _probs(np.where(np.arange(90) < 2, 1, y)),
    }
    assert greedy_selection(probs, y, 1)["weights"] == {"lucky": 1}
    selection = anchored_selection(probs, y, 1, anchor="anchor", confidence=0.9)
    check = selection["anchor"]
    assert check["greedy_nested_macro_f1"] > check["anchor_macro_f1"]
    assert 0.4 < check["lead_share"] < 0.8 and check["kept"]
    assert selection["weights"] == {"anchor": 1}
    any_lead = anchored_selection(probs, y, 1, anchor="anchor")
    assert any_lead["weights"] == {"lucky": 1} and not any_lead["anchor"]["kept"]


def test_a_tie_goes_to_the_anchor_and_no_anchor_means_greedy():
    y = np.array([0, 0, 1, 1, 2, 2] * 2)
    probs = {"sure": _probs(y, 0.9), "anchor": _probs(y, 0.6)}
    assert greedy_selection(probs, y, 3)["weights"] == {"sure": 1}  # lower log loss
    selection = anchored_selection(probs, y, 3, anchor="anchor")
    assert selection["weights"] == {"anchor": 1} and selection["anchor"]["kept"]
    alone = anchored_selection({"sure": probs["sure"]}, y, 3, anchor="anchor")
    assert alone["weights"] == {"sure": 1} and not alone["anchor"]["checked"]


def test_the_anchored_rule_needs_its_anchor_among_the_candidates():
    with pytest.raises(ValueError, match="anchor 'multirocket_hydra' among the"):
        CompareParams(candidates=["a", "b"], rule="anchored")
    CompareParams(candidates=["a", "b"])  # other rules do not read it
    assert CompareParams(candidates=["a"], rule="anchored", anchor="a").anchor == "a"


def test_select_members_runs_the_configured_rule_on_the_oof_table():
    probs, y = _complementary(copies=3)
    names = ["no_pain", "low_pain", "high_pain"]
    oof = pd.concat(
        pd.DataFrame(
            {
                "configuration": name,
                "repeat": 1,
                "sample_index": np.arange(len(y)).astype(str),
                "label": np.array(names)[y],
                **{f"p_{c}": p[0][:, k] for k, c in enumerate(names)},
            }
        )
        for name, p in probs.items()
    )
    compare = CompareParams(candidates=["a", "noise", "b"], rule="bagged")
    selection = select_members(oof, compare)
    assert selection["rule"] == "bagged"
    assert selection["weights"] == {"a": 0.5, "b": 0.5}
    greedy = select_members(oof, CompareParams(candidates=["a", "noise", "b"]))
    assert greedy["rule"] == "greedy" and greedy["weights"] == {"a": 1, "b": 1}
    anchored = CompareParams(
        candidates=["a", "noise", "b"], rule="anchored", anchor="a"
    )
    selection = select_members(oof, anchored)
    assert selection["anchor"]["name"] == "a" and not selection["anchor"]["kept"]
    assert selection["weights"] == {"a": 1, "b": 1}
    assert selection["anchor"]["lead_share"] == 1.0  # every bootstrap sample
    sure = anchored.model_copy(update={"anchor_confidence": 0.99})
    assert select_members(oof, sure)["anchor"]["confidence"] == 0.99


@pytest.mark.slow
def test_select_pipeline_chooses_without_the_test_split_and_predicts(project):
    from kedro.framework.project import pipelines

    select = pipelines["select"]
    choosing = select.to_nodes("select_members_node")
    assert not {n for n in choosing.all_inputs() if "test" in n}
    params = {
        "train": TINY_TRAIN,
        "select": {
            "candidates": ["bigru", "minirocket"],
            "folds": 2,
            "repeats": 1,
            "rule": "anchored",
            "anchor": "minirocket",
        },
    }
    run_pipeline(project, "select", params)
    selection = json.loads(
        sorted((project / "data/08_reporting/ensemble_selection.json").glob("*/*"))[
            -1
        ].read_text()
    )
    oof = read_output(
        sorted((project / "data/07_model_output/oof_predictions.csv").glob("*/*"))[-1]
    )
    assert set(oof["configuration"]) == {"bigru", "minirocket"}  # the select block
    # the catalog loads the file with weights_only (no code runs), ROCKET members too
    from kedro.framework.session import KedroSession

    with KedroSession.create(project_path=project) as session:
        model = session.load_context().catalog.load("selected_ensemble_model")
    formats = {"bigru": "pirate_pain.model/1", "minirocket": "pirate_pain.rocket/1"}
    assert [m["format"] for m in model["members"]] == [
        formats[n] for n in selection["weights"]
    ]
    # the vote is calibrated on every labelled row, each predicted out of fold
    calibration = model["calibration"]
    assert calibration["rows"] == "out-of-fold predictions of the members"
    assert sorted(calibration["fitted_on"]) == sorted(set(oof["sample_index"]))
    table = read_output(
        sorted((project / "data/08_reporting/selection_table.csv").glob("*/*"))[-1]
    )
    assert table["model"].tolist()[0] == "selected ensemble"
    assert table["model"].str.startswith("best single").any()
    assert {"minirocket", "multirocket_hydra"} <= set(table["model"])
    run_pipeline(project, "train", params)
    run_pipeline(project, "report", params)
    report = sorted((project / "data/08_reporting/run_report.html").glob("*/*"))[-1]
    assert "Ensemble chosen by cross-validation" in report.read_text()
    assert selection["anchor"]["checked"]  # and the report says what it found
    assert "Anchor minirocket: " in report.read_text()
    run_pipeline(project, "inference_selected", params)
    submission = read_output(
        sorted((project / "data/07_model_output/submission.csv").glob("*/*"))[-1]
    )
    assert len(submission) == 24
    assert "prediction_set" in submission  # the calibrated vote's sets


def test_selection_reads_numeric_class_names_as_names():
    """Out-of-fold rows read back from CSV: class names '1', '2' arrive as numbers."""
    from pirate_pain.parameters import CompareParams
    from pirate_pain.pipelines.select.nodes import select_members

    rows = []
    for name, right in (("a", True), ("b", False)):
        for i, label in enumerate([1, 1, 2, 2]):
            hit = label if right else 3 - label
            rows.append(
                {
                    "configuration": name,
                    "repeat": 1,
                    "fold": 1,
                    "sample_index": f"{i:03d}",
                    "label": label,
                    "predicted": hit,
                    "p_1": 0.9 if hit == 1 else 0.1,
                    "p_2": 0.1 if hit == 1 else 0.9,
                }
            )
    compare = CompareParams(candidates=["a", "b"], max_members=3)
    selection = select_members(pd.DataFrame(rows), compare)
    assert selection["weights"] == {"a": 1} and selection["oof_macro_f1"] == 1.0
