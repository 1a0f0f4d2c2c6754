"""The macro-F1 decision rule: what it fits, where it applies, what it never sees."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from pirate_pain.errors import UserInputError
from pirate_pain.fanout import FanoutParams
from pirate_pain.modeling import training
from pirate_pain.modeling.artifacts import build_artifact
from pirate_pain.modeling.config import TrainConfig
from pirate_pain.modeling.decision import apply_decision, fit_offsets
from pirate_pain.modeling.predict import model_probabilities, scoring_probabilities
from pirate_pain.parameters import CompareParams
from pirate_pain.pipelines.compare.nodes import cross_validate_candidates
from tests.conftest import TINY_TRAIN
from tests.model_inputs import model_input


def _macro_f1(y, labels):
    return f1_score(y, labels, average="macro", labels=range(3), zero_division=0)


def test_offsets_recover_a_minority_class_that_argmax_never_predicts():
    rng = np.random.default_rng(0)
    y = np.array([0] * 80 + [1] * 12 + [2] * 8)
    probs = np.full((100, 3), 0.05)
    probs[:, 0] = 0.6  # the majority always wins argmax ...
    probs[y == 1, 1] = 0.35 + 0.02 * rng.random(12)  # ... though class 1 stands out
    probs[y == 2, 2] = 0.35 + 0.02 * rng.random(8)
    probs /= probs.sum(1, keepdims=True)
    offsets = fit_offsets(probs, y)
    decided = apply_decision(probs, {"rule": "macro_f1", "offsets": offsets})
    assert offsets[0] == 0.0 and offsets[1] > 0 and offsets[2] > 0
    assert _macro_f1(y, probs.argmax(1)) < 0.3
    assert _macro_f1(y, decided.argmax(1)) == pytest.approx(1.0)
    np.testing.assert_allclose(decided.sum(1), 1.0)


def test_argmax_leaves_probabilities_unchanged():
    probs = np.array([[0.2, 0.5, 0.3]])
    assert apply_decision(probs, None) is probs


def test_the_rule_needs_a_held_out_split():
    with pytest.raises(UserInputError, match="train: decision_rule macro_f1"):
        TrainConfig.from_params(
            {"decision_rule": "macro_f1", "fit_on_validation": True}
        )


def test_fit_stores_offsets_fitted_on_the_early_stopping_split_only():
    train, validation = model_input(40, seed=1), model_input(24, seed=2)
    validation["sample_ids"] = np.array([f"v{i}" for i in range(24)])
    config = TrainConfig.from_params({**TINY_TRAIN, "decision_rule": "macro_f1"})
    fitted = training.fit(train, validation, config)
    assert fitted.decision["fitted_on"] == validation["sample_ids"].tolist()
    artifact = build_artifact(fitted, config, {})
    raw = model_probabilities(artifact, validation, decision=False)
    expected = apply_decision(raw, fitted.decision)
    np.testing.assert_allclose(model_probabilities(artifact, validation), expected)
    # scoring the split the rule was fitted on falls back to argmax
    np.testing.assert_allclose(scoring_probabilities(artifact, validation), raw)
    test = model_input(12, seed=3)
    np.testing.assert_allclose(
        scoring_probabilities(artifact, test),
        apply_decision(
            model_probabilities(artifact, test, decision=False), fitted.decision
        ),
    )


def test_cross_validation_never_fits_the_rule_on_the_rows_it_scores(monkeypatch):
    seen = []
    original = training.fitted_decision

    def recording(probs, y, sample_ids):
        seen.append({str(s) for s in sample_ids})
        return original(probs, y, sample_ids)

    monkeypatch.setattr(training, "fitted_decision", recording)
    train, validation = model_input(36, seed=4), model_input(24, seed=5)
    validation["sample_ids"] = np.array([f"v{i}" for i in range(24)])
    compare = CompareParams(candidates=["plain", "rule"], folds=3, repeats=2, seed=0)
    table, oof = cross_validate_candidates(
        train,
        validation,
        TrainConfig.from_params(TINY_TRAIN),
        {"plain": {}, "rule": {"decision_rule": "macro_f1"}},
        compare,
        FanoutParams(workers=1),  # in this process: the recording sees every fit
    )
    assert len(seen) == 6  # once per repeat and fold, for the rule only
    held = oof[oof["configuration"] == "rule"].groupby(["repeat", "fold"])
    for fitted_on, (_, rows) in zip(seen, held, strict=True):
        assert fitted_on and not fitted_on & set(rows["sample_index"])
        assert len(fitted_on) + len(rows) < 60  # part of the fold's training rows
    assert "test_macro_f1" not in table.columns
    assert (table["fits"] == 6).all()
