"""Racing: a candidate clearly behind after the first folds gets no more fits; the
others' figures are those of the full comparison, fold for fold."""

from __future__ import annotations

import pandas as pd
import pytest

from pirate_pain.fanout import FanoutParams
from pirate_pain.modeling.comparison import halve, not_picked, race
from pirate_pain.modeling.config import TrainConfig
from pirate_pain.parameters import CompareParams
from pirate_pain.pipelines.compare.nodes import cross_validate_candidates
from pirate_pain.pipelines.select.nodes import select_members
from tests.model_inputs import model_input


def test_only_a_candidate_behind_on_every_fold_is_dropped():
    scores = {
        "a": [0.90, 0.80],
        "b": [0.70, 0.60],
        "c": [0.95, 0.70],
        "d": [0.89, 0.79],
    }
    dropped = race(scores, margin=0.02)
    assert list(dropped) == ["b"]  # c wins a fold; d is within the margin of a once
    assert dropped["b"] == (
        "below a on each of the first 2 folds by 0.200-0.200 macro F1 (margin 0.02)"
    )
    assert race({"a": [0.8], "b": [0.8]}, 0.0) == {}  # a tie is no loss


def test_halving_keeps_the_better_half_and_breaks_ties_by_log_loss():
    scores = {"a": [1.0], "b": [1.0], "c": [0.9], "d": [1.0], "e": [0.5]}
    losses = {"a": 0.30, "b": 0.10, "c": 0.01, "d": 0.20, "e": 0.90}
    assert sorted(halve(scores, losses, keep=2)) == ["c", "e"]  # 3 of 5 go on
    del scores["c"]
    dropped = halve(scores, losses, keep=2)
    assert sorted(dropped) == ["a", "e"]  # a, b, d tie at 1.0: a has the worst loss
    assert dropped["a"].startswith("not in the better half after 1 folds: macro F1")
    assert "(log loss 0.300) against 1.000 (0.200) of d, the last kept" in dropped["a"]
    assert halve({"a": [0.1], "b": [0.9]}, {"a": 1.0, "b": 1.0}, keep=2) == {}


def test_the_selection_race_keeps_what_the_selection_picks_and_the_leader():
    scores = {"a": [0.90], "b": [0.70], "c": [0.80], "d": [0.60]}
    dropped = not_picked(scores, {"c": 2, "d": 1})
    assert list(dropped) == ["b"]  # a leads, c and d were picked
    assert dropped["b"] == (
        "not picked by the ensemble selection on the first 1 fold(s) (c x2, d x1) "
        "and not the leader (a)"
    )
    assert not_picked(scores, {"a": 1, "b": 1, "c": 1, "d": 1}) == {}


CANDIDATES = {
    "good": {"epochs": 15, "batch_size": 8, "optimizer": {"learning_rate": 0.01}},
    # never learns: one epoch at a vanishing learning rate
    "hopeless": {"epochs": 1, "optimizer": {"learning_rate": 1e-7}},
    "good_again": {
        "epochs": 15,
        "batch_size": 8,
        "optimizer": {"learning_rate": 0.01},
        "seed": 7,
    },
}


def _compare(racing: bool, **rule):
    train, validation = model_input(48, seed=1), model_input(24, seed=2)
    base = TrainConfig(progress_bar=False, torch_threads=1).with_overrides(
        {"model": {"hidden_size": 8, "num_layers": 1}}, "train"
    )
    compare = CompareParams(
        candidates=list(CANDIDATES), folds=4, racing=racing, **{"race_after": 2, **rule}
    )
    return cross_validate_candidates(
        train, validation, base, CANDIDATES, compare, FanoutParams(workers=1)
    )


@pytest.fixture(scope="module")
def full_run():
    """The comparison without racing: the figures every race must keep."""
    return _compare(racing=False)


def test_racing_drops_the_hopeless_candidate_and_keeps_the_others_figures(full_run):
    full_table, full_oof = full_run
    table, oof = _compare(racing=True)
    row = table.set_index("configuration")
    assert row.loc["hopeless", "dropped_after_fold"] == 2
    assert row.loc["hopeless", "fits"] == 2
    assert "below good" in row.loc["hopeless", "dropped_because"]
    assert row.loc[["good", "good_again"], "dropped_because"].tolist() == ["", ""]
    assert (oof["configuration"] == "hopeless").sum() == 36  # two folds of 18 rows
    kept = ["good", "good_again"]
    columns = ["macro_f1_mean", "macro_f1_std", "ci95_low", "ci95_high", "fits"]
    pd.testing.assert_frame_equal(
        row.loc[kept, columns], full_table.set_index("configuration").loc[kept, columns]
    )
    pd.testing.assert_frame_equal(
        oof[oof["configuration"].isin(kept)].reset_index(drop=True),
        full_oof[full_oof["configuration"].isin(kept)].reset_index(drop=True),
    )
    assert "dropped_after_fold" not in full_table  # compare keeps the full table
    # the selection reads only candidates with every out-of-fold row
    selection = select_members(
        oof, CompareParams(candidates=list(CANDIDATES), folds=4, max_members=3)
    )
    assert "hopeless" not in selection["weights"]


def test_halving_fits_fewer_folds_and_keeps_the_survivors_figures(full_run):
    full_table, full_oof = full_run
    table, oof = _compare(racing=True, race_rule="halving", race_after=1, race_keep=1)
    row = table.set_index("configuration")
    # 3 candidates after fold 1 -> the better 2; after fold 2 -> the better 1
    assert row.loc["hopeless", "dropped_after_fold"] == 1
    assert row["fits"].sum() == 3 + 2 + 1 + 1
    survivor = row.index[row["dropped_because"] == ""].tolist()
    assert len(survivor) == 1 and survivor[0] != "hopeless"
    full = full_table.set_index("configuration")
    assert (
        row.loc[survivor[0], "macro_f1_mean"] == full.loc[survivor[0], "macro_f1_mean"]
    )
    mine = oof[oof["configuration"] == survivor[0]].reset_index(drop=True)
    theirs = full_oof[full_oof["configuration"] == survivor[0]].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs)


def test_racing_never_drops_the_anchor_of_the_anchored_rule():
    table, oof = _compare(racing=True, rule="anchored", anchor="hopeless")
    row = table.set_index("configuration")
    assert row.loc["hopeless", "fits"] == 4  # behind on every fold, kept all the same
    assert row.loc["hopeless", "dropped_because"] == ""
    assert (oof["configuration"] == "hopeless").sum() == 72  # four folds of 18 rows


def test_the_selection_race_fits_only_the_picked_candidates_after_the_first_fold(
    full_run,
):
    full_table, full_oof = full_run
    table, oof = _compare(racing=True, race_rule="selection", race_after=1)
    row = table.set_index("configuration")
    assert row.loc["hopeless", "dropped_after_fold"] == 1
    assert row.loc["hopeless", "dropped_because"].startswith("not picked by the")
    assert row["fits"].sum() < 3 * 4
    survivors = row.index[row["dropped_because"] == ""].tolist()
    assert "hopeless" not in survivors and survivors  # the picks go on, whole
    full = full_oof[full_oof["configuration"].isin(survivors)]
    mine = oof[oof["configuration"].isin(survivors)]
    pd.testing.assert_frame_equal(
        mine.reset_index(drop=True), full.reset_index(drop=True)
    )
