"""Calibration figures, temperature scaling and class-conditional prediction sets."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pirate_pain.errors import UserInputError
from pirate_pain.modeling.calibration import (
    apply_scaling,
    calibrated,
    calibration_figures,
    coverage_table,
    expected_calibration_error,
    fit_calibration,
    fit_scaling,
    never_ruled_out,
    prediction_sets,
    reliability_table,
    rows_to_rule_out,
    uncalibrated,
)
from pirate_pain.modeling.predict import sets_of
from pirate_pain.parameters import InferenceParams, checked

SHARES = [0.77, 0.14, 0.09]  # the challenge's classes


def overconfident(n: int, seed: int, sharpness: float = 5.0):
    """Labels at the challenge's shares and probabilities of a model that knows
    something but is too sure of it (calibrated near ``sharpness`` 2)."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, n, p=SHARES)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), y] += 2.0
    probs = np.exp(logits * sharpness)
    return probs / probs.sum(1, keepdims=True), y


def test_ece_is_the_weighted_gap_between_confidence_and_accuracy():
    probs = np.array([[0.95, 0.05], [0.95, 0.05], [0.55, 0.45], [0.45, 0.55]])
    y = np.array([0, 1, 0, 1])
    # bin (0.9, 1]: confidence 0.95, accuracy 0.5; bin (0.5, 0.6]: 0.55 and 1.0
    assert expected_calibration_error(probs, y) == pytest.approx(
        0.5 * 0.45 + 0.5 * 0.45
    )
    rows = reliability_table(probs, y)
    assert [r["count"] for r in rows] == [2, 2]
    assert calibration_figures(probs, y)["brier"] == pytest.approx(
        np.mean(((probs - np.eye(2)[y]) ** 2).sum(1))
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_loss_is_scikit_learns_to_the_last_bit(dtype):
    from sklearn.metrics import log_loss

    from pirate_pain.modeling.scores import mean_log_loss

    rng = np.random.default_rng(1)
    probs = rng.dirichlet([0.3, 1, 1, 2], 200).astype(dtype)
    probs[:5] = np.eye(4, dtype=dtype)[[1, 2, 3, 0, 0]]  # zeros: clipped, not inf
    y = np.arange(200) % 3  # class 3 never the truth
    expected = log_loss(y, probs / probs.sum(1, keepdims=True), labels=range(4))
    assert mean_log_loss(y, probs) == expected
    assert np.isfinite(expected) and expected > 1.0


def test_float32_probabilities_are_scored_without_a_warning():
    # a model's float32 rows sum to 1 only within float32 rounding
    probs = np.random.default_rng(0).dirichlet([1, 1, 1], 50).astype(np.float32)
    y = np.arange(50) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures = calibration_figures(probs.astype(np.float64), y)
    assert figures["brier"] == pytest.approx(
        np.mean(((probs - np.eye(3)[y]) ** 2).sum(1)), rel=1e-5
    )


def test_temperature_fixes_an_overconfident_model_on_rows_it_never_saw():
    probs, y = overconfident(800, seed=0)
    fitted = fit_calibration(probs[:400], y[:400], range(400))
    assert fitted["temperature"] > 1.5  # softens a model too sure of itself
    fresh, fresh_y = probs[400:], y[400:]
    after = calibrated(fresh, fitted)
    assert uncalibrated(after, fitted) == pytest.approx(fresh, abs=1e-9)
    assert expected_calibration_error(after, fresh_y) < 0.5 * (
        expected_calibration_error(fresh, fresh_y)
    )
    assert fitted["out_of_fold"]["ece_after"] < fitted["out_of_fold"]["ece_before"]


def test_offsets_undo_what_a_class_weighted_loss_does_to_the_rare_classes():
    # a calibrated model whose rare classes' probabilities were tripled, as a
    # class-weighted loss does: one temperature cannot undo that, offsets can
    probs, y = overconfident(4000, seed=3, sharpness=2.0)
    shifted = probs * np.array([1.0, 3.0, 3.0])
    shifted /= shifted.sum(1, keepdims=True)
    fitted = fit_calibration(shifted[:2000], y[:2000], range(2000))
    assert fitted["offsets"][1] < -0.5 and fitted["offsets"][2] < -0.5
    fresh, fresh_y = shifted[2000:], y[2000:]
    before = expected_calibration_error(fresh, fresh_y)
    assert (
        expected_calibration_error(calibrated(fresh, fitted), fresh_y) < 0.03 < before
    )


def test_temperature_stays_one_where_it_does_not_help_out_of_fold():
    # 40 rows of a calibrated model (sharpness 2): scaling fitted on one half
    # raises the other half's ECE, so none is kept
    rng = np.random.default_rng(5)
    y = rng.choice(3, 40, p=SHARES)
    logits = rng.normal(size=(40, 3))
    logits[np.arange(40), y] += 2.0
    probs = np.exp(2 * logits)
    probs /= probs.sum(1, keepdims=True)
    fitted = fit_calibration(probs, y, range(40))
    assert fitted["out_of_fold"]["ece_after"] > fitted["out_of_fold"]["ece_before"]
    assert fitted["temperature"] == 1.0 and fitted["offsets"] == [0.0, 0.0, 0.0]
    assert calibrated(probs, fitted) is probs
    assert apply_scaling(probs, 1.0, [0.0, 0.0, 0.0]) is probs
    assert fitted["after"] == fitted["before"]


def test_sets_cover_every_class_at_the_stated_rate():
    # 10,000 held-out rows (900 of high_pain): a class's coverage varies by about
    # 0.01 from one draw to the next
    probs, y = overconfident(20000, seed=0)
    fitted = fit_calibration(probs[:10000], y[:10000], range(10000))
    test = calibrated(probs[10000:], fitted)
    sets = prediction_sets(test, fitted, 0.9)
    table = coverage_table(sets, y[10000:], ["no_pain", "low_pain", "high_pain"])
    for name, covered in table["per_class"].items():
        assert 0.87 <= covered <= 0.95, (name, covered)  # high_pain too
    assert 1.0 < table["mean_set_size"] < 2.0
    # a higher coverage asks for larger sets, never smaller ones
    wider = prediction_sets(test, fitted, 0.97)
    assert (wider >= sets).all() and wider.sum() > sets.sum()


def _weaker(probs: np.ndarray, seed: int, noise: float) -> np.ndarray:
    """Another model's probabilities of the same rows: ``probs`` with noise."""
    rng = np.random.default_rng(seed)
    logits = np.log(probs) + rng.normal(scale=noise, size=probs.shape)
    return np.exp(logits) / np.exp(logits).sum(1, keepdims=True)


def test_cross_conformal_counts_every_fold_against_its_own_model():
    probs, y = overconfident(120, seed=5)
    folds = np.arange(120) % 3 + 1
    fitted = fit_calibration(probs, y, range(120), folds)
    test = overconfident(40, seed=6)[0]
    fold_probs = [calibrated(_weaker(test, f, 0.5), fitted) for f in (1, 2, 3)]
    sets = prediction_sets(test, fitted, 0.8, fold_probs)
    # Vovk's cross-conformal p-value, counted by hand
    scores = np.asarray(fitted["conformal"]["scores"])
    for k in range(3):
        count = sum(
            (scores[(folds == f) & (y == k)][None, :] >= 1 - p[:, k : k + 1]).sum(1)
            for f, p in zip((1, 2, 3), fold_probs)
        )
        assert ((count + 1) / ((y == k).sum() + 1) >= 0.2).tolist() == sets[
            :, k
        ].tolist()
    with pytest.raises(ValueError, match="fold models"):
        prediction_sets(test, fitted, 0.8)
    # one fold is split conformal
    one = fit_calibration(probs, y, range(120), np.ones(120))
    plain = fit_calibration(probs, y, range(120))
    assert (
        prediction_sets(test, one, 0.9, [test]) == prediction_sets(test, plain, 0.9)
    ).all()


def test_cross_conformal_covers_when_the_final_model_is_not_the_fold_models():
    # the fold models score their held-out rows; the final model is another model
    # (here a noisier one). Split conformal on the fold rows, applied to the final
    # model, misses the stated coverage; cross-conformal keeps it.
    probs, y = overconfident(24000, seed=7, sharpness=2.0)
    cal, new = slice(0, 12000), slice(12000, None)
    folds = np.arange(12000) % 4
    fold_of_row = [_weaker(probs[cal], f, 0.5) for f in range(4)]
    oof = np.stack([fold_of_row[f][i] for i, f in enumerate(folds)])
    cross = fit_calibration(oof, y[cal], range(12000), folds)
    split = fit_calibration(oof, y[cal], range(12000))
    final = calibrated(_weaker(probs[new], 99, 1.5), cross)
    fold_probs = [calibrated(_weaker(probs[new], 10 + f, 0.5), cross) for f in range(4)]
    names = ["no_pain", "low_pain", "high_pain"]
    crossed = prediction_sets(final, cross, 0.9, fold_probs)
    naive = prediction_sets(final, split, 0.9)
    for name, covered in coverage_table(crossed, y[new], names)["per_class"].items():
        assert 0.89 <= covered <= 0.94, (name, covered)
    for name, covered in coverage_table(naive, y[new], names)["per_class"].items():
        assert covered < 0.86, (name, covered)  # measured 0.84-0.85


def test_a_class_without_held_out_rows_is_never_ruled_out():
    probs, y = overconfident(300, seed=2)
    keep = y != 2
    fitted = fit_calibration(probs[keep], y[keep], np.flatnonzero(keep))
    sets = prediction_sets(calibrated(probs, fitted), fitted, 0.9)
    assert sets[:, 2].all()


def test_coverage_needs_a_calibration_and_a_probability():
    with pytest.raises(UserInputError, match=r"inference.coverage is 0.9.*retrain"):
        sets_of({"model_id": "abc"}, np.full((2, 3), 1 / 3), 0.9)
    with pytest.raises(UserInputError, match=r"inference.*coverage"):
        checked(InferenceParams, {"coverage": 1.5}, "inference")


def _artifact(train, validation, seed: int, **overrides) -> dict:
    from pirate_pain.modeling.artifacts import build_artifact
    from pirate_pain.modeling.config import TrainConfig
    from pirate_pain.modeling.training import fit

    config = TrainConfig(
        seed=seed, epochs=3, progress_bar=False, torch_threads=1, **overrides
    )
    config = config.with_overrides({"model": {"hidden_size": 8, "num_layers": 1}}, "x")
    preprocessing = {
        "feature_names": [],
        "kept_features": [],
        "class_names": list("abc"),
    }
    return build_artifact(fit(train, validation, config), config, preprocessing)


def test_an_ensemble_vote_is_calibrated_on_validation_unless_a_member_trained_on_it():
    from pirate_pain.modeling.predict import ENSEMBLE_FORMAT
    from pirate_pain.pipelines.ensemble.nodes import calibrate_vote
    from tests.model_inputs import model_input

    train, validation = model_input(36, seed=4), model_input(24, seed=5)
    members = [_artifact(train, validation, seed) for seed in (1, 2)]
    ensemble = {"format": ENSEMBLE_FORMAT, "vote": "soft", "member_rank": [0, 1]}
    calibrated = calibrate_vote({**ensemble, "members": members}, validation)
    assert calibrated["calibration"]["fitted_on"] == list(validation["sample_ids"])
    assert len(calibrated["calibration"]["conformal"]["scores"]) == 24
    in_sample = [members[0], _artifact(train, validation, 3, fit_on_validation=True)]
    assert "calibration" not in calibrate_vote(
        {**ensemble, "members": in_sample}, validation
    )


def test_the_k_fold_route_scales_each_model_on_its_own_held_out_rows(monkeypatch):
    # the final model on its validation split (as without k-fold); the fold models
    # on their out-of-fold rows, which also make the cross-conformal sets
    from pirate_pain.fanout import FanoutParams
    from pirate_pain.modeling import predict
    from pirate_pain.modeling.config import TrainConfig
    from pirate_pain.pipelines.train.nodes import cross_validate, train_model
    from tests.conftest import TINY_TRAIN
    from tests.model_inputs import model_input

    train, validation = model_input(48, seed=4), model_input(24, seed=5)
    preprocessing = {
        "feature_names": [],
        "kept_features": [],
        "class_names": list("abc"),
    }
    params = TrainConfig.from_params({**TINY_TRAIN, "cross_validation": {"folds": 3}})
    cv_models, _ = cross_validate(
        train, validation, preprocessing, params, FanoutParams(workers=1)
    )
    folded, _ = train_model(train, validation, preprocessing, params, cv_models)
    alone, _ = train_model(train, validation, preprocessing, params)
    calibration = folded["calibration"]
    assert calibration["fitted_on"] == alone["calibration"]["fitted_on"]
    assert calibration["temperature"] == alone["calibration"]["temperature"]
    assert calibration["offsets"] == alone["calibration"]["offsets"]
    held_out = cv_models["held_out"]
    oof = fit_calibration(
        np.asarray(held_out["probs"]), np.asarray(held_out["y"]), held_out["sample_ids"]
    )
    assert calibration["fold_scaling"]["temperature"] == oof["temperature"]
    assert len(calibration["conformal"]["scores"]) == 72  # every labelled row
    expected = [
        calibrated(
            predict.model_probabilities(m, validation), calibration["fold_scaling"]
        )
        for m in cv_models["models"]
    ]
    # the fold models' probabilities of a prepared input (no raw columns to check)
    monkeypatch.setattr(
        predict,
        "artifact_probabilities",
        lambda m, data, *_: predict.model_probabilities(m, data),
    )
    got = predict.fold_probabilities(folded, validation)
    for fold, want in zip(got, expected, strict=True):
        np.testing.assert_allclose(fold, want)


def test_a_class_needs_ten_held_out_rows_before_a_set_at_90_can_leave_it_out():
    assert rows_to_rule_out(0.9) == 10 and rows_to_rule_out(0.8) == 5
    for n in (9, 10):  # class 0's n held-out rows all agree; the new row does not
        labels = [0] * n + [1] * 20
        calibration = {"conformal": {"scores": [0.0] * len(labels), "labels": labels}}
        sets = prediction_sets(np.array([[0.0, 1.0]]), calibration, 0.9)
        assert sets[0, 0] == (n == 9)
        assert never_ruled_out(calibration, 3, 0.9) == (
            {0: 9, 2: 0} if n == 9 else {2: 0}
        )


def test_rows_the_model_already_separates_do_not_sharpen_it_to_zero_and_one():
    # an underconfident model (label smoothing) that gets every held-out row right:
    # the log loss keeps falling as T falls, so T stops at its floor of 0.25
    rng = np.random.default_rng(4)
    y = rng.choice(3, 200, p=SHARES)
    probs = rng.uniform(0.005, 0.05, size=(200, 3))
    probs[np.arange(200), y] = rng.uniform(0.8, 0.95, size=200)
    probs /= probs.sum(1, keepdims=True)
    temperature, _ = fit_scaling(probs, y)
    assert temperature == 0.25
    scaled = apply_scaling(probs, temperature, [0.0, 0.0, 0.0])
    assert scaled.min() > 0 and scaled.max() < 1  # no probability of exactly 0 or 1
    # written with 6 significant digits (test_probabilities), the figures before
    # the calibration are recovered from them as the report does
    written = np.vectorize(lambda v: float(f"{v:.6g}"))(scaled)
    back = uncalibrated(written, {"temperature": temperature, "offsets": None})
    assert expected_calibration_error(back, y) == pytest.approx(
        expected_calibration_error(probs, y), abs=1e-4
    )
