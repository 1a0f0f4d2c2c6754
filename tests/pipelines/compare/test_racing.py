"""Racing: a candidate clearly behind after the first folds gets no more fits; the
others' figures are those of the full comparison, fold for fold."""

from __future__ import annotations

import pandas as pd

from pirate_pain.fanout import FanoutParams
from pirate_pain.modeling.comparison import race
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


def _compare(racing: bool):
    train, validation = model_input(48, seed=1), model_input(24, seed=2)
    base = TrainConfig(progress_bar=False, torch_threads=1).with_overrides(
        {"model": {"hidden_size": 8, "num_layers": 1}}, "train"
    )
    compare = CompareParams(
        candidates=list(CANDIDATES), folds=4, racing=racing, race_after=2
    )
    return cross_validate_candidates(
        train, validation, base, CANDIDATES, compare, FanoutParams(workers=1)
    )


def test_racing_drops_the_hopeless_candidate_and_keeps_the_others_figures():
    full_table, full_oof = _compare(racing=False)
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
