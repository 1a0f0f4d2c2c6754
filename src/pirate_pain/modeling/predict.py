"""Prediction with one model or a voting ensemble, from raw sequence sets.

Each model artifact carries its own fitted preprocessing, so prediction never refits
anything on test data.
"""

from __future__ import annotations

import json

import numpy as np
import torch

from ..errors import UserInputError
from .artifacts import model_id
from .calibration import calibrated, fit_calibration, prediction_sets
from .classifier import from_artifact
from .decision import overlaps
from .preprocessing import apply_feature_transform
from .profile import DEFAULT_THRESHOLD, check_like_training

ENSEMBLE_FORMAT = "pirate_pain.ensemble/1"
VOTE_RULES = ("hard", "soft")


def check_columns_like_training(
    sequences: dict, preprocessing: dict, threshold: float | None = DEFAULT_THRESHOLD
) -> None:
    """Refuse input columns that differ from training: names, categorical values
    never seen, or numeric distributions (``threshold``; None: names only)."""
    names = [str(n) for n in sequences["feature_names"]]
    trained = preprocessing["feature_names"]
    if names != trained:
        missing = [n for n in trained if n not in names]
        extra = [n for n in names if n not in trained]
        raise UserInputError(
            f"The input columns differ from the model's training columns (missing: "
            f"{', '.join(missing) or 'none'}; extra: {', '.join(extra) or 'none'}): "
            "give the file the training columns."
        )
    if threshold is None or "profile" not in preprocessing:
        return
    values, lengths = sequences["x"], sequences["lengths"]
    mask = np.arange(values.shape[1])[None, :] < lengths[:, None]
    check_like_training(
        preprocessing["profile"],
        values[mask],
        names,
        sequences["categorical_values"],
        [str(n) for n in sequences["categorical_names"]],
        threshold,
    )


def check_vote_rule(rule: str) -> None:
    if rule not in VOTE_RULES:
        raise UserInputError(
            f"ensemble.vote is '{rule}': choose one of {', '.join(VOTE_RULES)}."
        )


def model_probabilities(
    artifact: dict,
    model_input: dict,
    device: torch.device | None = None,
    decision: bool = True,
) -> np.ndarray:
    """(N, K) probabilities of one model artifact on an already prepared model input
    (on the CPU unless ``device`` says otherwise), its decision rule applied
    (``decision``: false gives the model's own probabilities)."""
    classifier = from_artifact(artifact)
    return classifier.probabilities(model_input, decision=decision, device=device)


def scoring_probabilities(artifact: dict, model_input: dict) -> np.ndarray:
    """Probabilities to score ``model_input`` with: the decision rule applied unless
    it was fitted on some of these rows, then argmax of the model's own (a rule is
    never scored on the data it was fitted on)."""
    fitted_here = overlaps(artifact.get("decision"), model_input["sample_ids"])
    return model_probabilities(artifact, model_input, decision=not fitted_here)


def artifact_probabilities(
    artifact: dict,
    sequences: dict,
    prepared: dict | None = None,
    device: torch.device | None = None,
    threshold: float | None = DEFAULT_THRESHOLD,
) -> np.ndarray:
    """(N, K) probabilities of one model artifact on a raw sequence set.

    ``prepared`` caches model inputs by preprocessing, so ensemble members that share
    one fitted transform (the usual case) check and transform the data once.
    """
    preprocessing = artifact["preprocessing"]
    key = json.dumps(preprocessing, sort_keys=True)
    prepared = {} if prepared is None else prepared
    if key not in prepared:
        check_columns_like_training(sequences, preprocessing, threshold)
        prepared[key] = apply_feature_transform(sequences, preprocessing)
    return model_probabilities(artifact, prepared[key], device)


def vote(
    member_probs: list[np.ndarray],
    rule: str,
    member_rank: list[int],
    weights: list[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Combine member probabilities into labels and (mean) probabilities.

    ``hard``: majority of member labels; a tie goes to the tied class voted by the
    best-ranked member (``member_rank`` lists member indices, best first).
    ``soft``: argmax of the mean probabilities (a tie goes to the lower class index),
    weighted by ``weights`` (picks of a selected ensemble) when given.
    """
    check_vote_rule(rule)
    stacked = np.stack(member_probs)  # (M, N, K)
    mean = np.average(stacked, axis=0, weights=weights)
    if rule == "soft":
        return mean.argmax(1), mean
    votes = stacked.argmax(2)  # (M, N)
    n_classes = stacked.shape[2]
    counts = np.stack([(votes == k).sum(0) for k in range(n_classes)], axis=1)
    labels = counts.argmax(1)
    for i in np.flatnonzero((counts == counts.max(1, keepdims=True)).sum(1) > 1):
        tied = set(np.flatnonzero(counts[i] == counts[i].max()))
        labels[i] = next(votes[m, i] for m in member_rank if votes[m, i] in tied)
    return labels, mean


def with_calibration(
    predictor: dict, probs: np.ndarray, held_out: dict, fold_models=None
) -> dict:
    """``predictor`` with a calibration (calibration.py) fitted on its probabilities
    ``probs`` of the held-out model input ``held_out``, rows it never trained on.

    ``fold_models``: the k fold models whose out-of-fold predictions ``probs`` are
    (``held_out["folds"]`` says which scored each row); they are stored with the
    calibration and decide the prediction sets (cross-conformal)."""
    folds = held_out.get("folds") if fold_models else None
    fitted = fit_calibration(probs, held_out["y"], held_out["sample_ids"], folds)
    if folds is not None:
        fitted["fold_models"] = list(fold_models)
    return {**predictor, "calibration": fitted}


def fold_part(calibration: dict) -> dict:
    """What a cross-conformal calibration ``calibration`` (fitted on the fold
    models' out-of-fold rows) gives another model's calibration: the fold models,
    their own scaling and the conformal scores they make the sets with."""
    return {
        "fold_models": calibration["fold_models"],
        "fold_scaling": {key: calibration[key] for key in ("temperature", "offsets")},
        "conformal": calibration["conformal"],
    }


def fold_probabilities(
    predictor: dict, sequences: dict, device=None, threshold=DEFAULT_THRESHOLD
) -> list[np.ndarray] | None:
    """The calibrated probabilities of each stored fold model on ``sequences``
    (a cross-conformal calibration's sets need them; None without one)."""
    calibration = predictor.get("calibration") or {}
    if not calibration.get("fold_models"):
        return None
    prepared: dict = {}
    return [
        calibrated(
            artifact_probabilities(m, sequences, prepared, device, threshold),
            calibration.get("fold_scaling", calibration),  # their own, if stored
        )
        for m in calibration["fold_models"]
    ]


def sets_of(
    predictor: dict, probs: np.ndarray, coverage: float, fold_probs=None
) -> np.ndarray:
    """(N, K) prediction sets of ``predictor``'s calibrated ``probs`` at ``coverage``
    (``fold_probs``: ``fold_probabilities`` of the same rows, cross-conformal)."""
    calibration = predictor.get("calibration")
    if not calibration:
        raise UserInputError(
            f"inference.coverage is {coverage}, but model {model_id(predictor)} "
            "has no held-out calibration (it was trained with fit_on_validation or "
            "calibrate false): retrain it with calibrate true and a validation split, "
            "or set inference.coverage to null."
        )
    return prediction_sets(probs, calibration, coverage, fold_probs)


def predict(
    predictor: dict,
    sequences: dict,
    device: torch.device | None = None,
    threshold: float | None = DEFAULT_THRESHOLD,
) -> tuple[np.ndarray, np.ndarray, list]:
    """Labels (N,), probabilities (N, K) and class names of a model or an ensemble;
    the probabilities calibrated where the predictor carries a calibration (the
    labels never change with it).

    ``threshold``: the largest CDF gap a column may show against training (None:
    accept data unlike training)."""
    labels, probs, names = _predict(predictor, sequences, device, threshold)
    return labels, calibrated(probs, predictor.get("calibration")), names


def _predict(predictor, sequences, device, threshold):
    if predictor.get("format") == ENSEMBLE_FORMAT:
        members, prepared = predictor["members"], {}
        probs = [
            artifact_probabilities(m, sequences, prepared, device, threshold)
            for m in members
        ]
        labels, mean = vote(
            probs,
            predictor["vote"],
            predictor["member_rank"],
            predictor.get("member_weights"),
        )
        return labels, mean, members[0]["preprocessing"]["class_names"]
    probs = artifact_probabilities(predictor, sequences, None, device, threshold)
    return probs.argmax(1), probs, predictor["preprocessing"]["class_names"]
