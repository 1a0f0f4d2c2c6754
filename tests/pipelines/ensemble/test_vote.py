"""Vote rules on hand-made probability tables, ties included."""

from __future__ import annotations

import numpy as np
import pytest

from pirate_pain.errors import UserInputError
from pirate_pain.modeling.predict import vote


def _one_hot(labels, n_classes=3, confidence=0.8):
    probs = np.full((len(labels), n_classes), (1 - confidence) / (n_classes - 1))
    probs[np.arange(len(labels)), labels] = confidence
    return probs


def test_hard_vote_majority():
    members = [_one_hot([0, 1, 2]), _one_hot([0, 1, 1]), _one_hot([2, 1, 1])]
    labels, _ = vote(members, "hard", member_rank=[0, 1, 2])
    assert labels.tolist() == [0, 1, 1]


def test_hard_vote_tie_goes_to_best_ranked_member():
    # sequence 0: votes 0, 1 (a 1-1 tie); sequence 1: votes 2, 0, 1 (three-way)
    two = [_one_hot([0, 2]), _one_hot([1, 0])]
    assert vote(two, "hard", member_rank=[0, 1])[0].tolist() == [0, 2]
    assert vote(two, "hard", member_rank=[1, 0])[0].tolist() == [1, 0]
    three = [_one_hot([0, 2]), _one_hot([1, 0]), _one_hot([1, 1])]
    # sequence 1 is a three-way tie: member 2 ranks first and voted 1
    assert vote(three, "hard", member_rank=[2, 0, 1])[0].tolist() == [1, 1]


def test_soft_vote_uses_mean_probabilities():
    confident = np.array([[0.9, 0.05, 0.05]])
    lukewarm = np.array([[0.3, 0.4, 0.3]])
    hard, _ = vote([confident, lukewarm, lukewarm], "hard", [0, 1, 2])
    soft, mean = vote([confident, lukewarm, lukewarm], "soft", [0, 1, 2])
    assert hard.tolist() == [1] and soft.tolist() == [0]
    np.testing.assert_allclose(mean, [[0.5, 0.85 / 3, 0.65 / 3]])


def test_soft_vote_tie_goes_to_lower_class():
    tie = np.array([[0.5, 0.5, 0.0]])
    assert vote([tie, tie], "soft", [0, 1])[0].tolist() == [0]


def test_unknown_rule():
    with pytest.raises(UserInputError, match="ensemble.vote is 'weighted': choose one"):
        vote([_one_hot([0])], "weighted", [0])
