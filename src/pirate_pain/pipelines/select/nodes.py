"""Ensemble members chosen on out-of-fold predictions, refitted, voted, scored once.

The comparison's out-of-fold probabilities pick the members (greedy forward
selection with replacement, ``modeling/selection.py``); the test split is not read
until the chosen ensemble is scored on it, once, beside the best single
configuration by cross-validation, MiniRocket and MultiRocket-Hydra fitted in the
same run.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd

from ...baselines import minirocket_row, score_row
from ...fanout import FanoutParams, Task, configured, fan_out
from ...modeling.artifacts import build_artifact
from ...modeling.calibration import log_calibration
from ...modeling.config import TrainConfig
from ...modeling.data import concat_model_inputs
from ...modeling.predict import (
    ENSEMBLE_FORMAT,
    model_probabilities,
    vote,
    with_calibration,
)
from ...modeling.selection import SELECTION_RULES, out_of_fold_arrays
from ...modeling.training import fit
from ...parameters import CompareParams, candidate_config
from ...tracking import log_metrics

logger = logging.getLogger(__name__)


def select_members(oof: pd.DataFrame, compare: CompareParams) -> dict[str, Any]:
    """Out-of-fold selection over ``compare.candidates`` by ``compare.rule``.

    Returns:
        The selection: ``weights`` (candidate -> picks, or fractions for the
        bagged rule), its out-of-fold macro F1 (mean over repeats), the best
        single candidate and the pick path.
    """
    probs, y, _, raced = out_of_fold_arrays(oof, compare.candidates)
    if raced:  # dropped by racing: out-of-fold rows of some folds only
        logger.info("Left out of the selection (dropped by racing): %s", raced)
    rule = SELECTION_RULES[compare.rule]
    selection = rule(probs, y, compare.max_members, **compare.rule_options())
    selection["rule"] = compare.rule
    if "anchor" in selection:
        logger.info("Anchor check: %s", selection["anchor"])
    logger.info(
        "Selected %s: out-of-fold macro F1 %.4f, log loss %.4f (best single %s %.4f)",
        selection["weights"],
        selection["oof_macro_f1"],
        selection["oof_log_loss"],
        selection["best_single"],
        selection["best_single_oof_macro_f1"],
    )
    log_metrics(
        {
            "selection_oof_macro_f1": selection["oof_macro_f1"],
            "selection_oof_log_loss": selection["oof_log_loss"],
            "best_single_oof_macro_f1": selection["best_single_oof_macro_f1"],
        }
    )
    return selection


def fit_selected_ensemble(
    train: dict,
    validation: dict,
    test: dict,
    feature_transform: dict,
    train_params: TrainConfig,
    candidates: dict[str, Any],
    selection: dict[str, Any],
    fanout: FanoutParams,
    oof: pd.DataFrame | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Refit every selected candidate on the training split and vote (soft, weighted
    by picks); score the ensemble, the best single candidate, MiniRocket and
    MultiRocket-Hydra on test where it has labels. With ``train.calibrate`` the
    vote is calibrated on its out-of-fold predictions (``oof``: every labelled row,
    predicted by fold models that never saw it).

    Returns:
        The ensemble artifact (``inference_selected`` predicts with it) and the
        table: one row per model with out-of-fold and test macro F1, accuracy, fit
        and predict seconds.
    """
    names = list(selection["weights"])
    best = selection["best_single"]
    refits = list(dict.fromkeys([*names, best]))
    labelled = len(test["y"]) and (test["y"] >= 0).all()
    configs = {
        name: candidate_config(train_params, candidates, name, "compare.candidates")
        for name in refits
    }
    with fan_out(fanout) as runner:
        # each refit predicts the labelled test split where it ran (None: none)
        splits = [
            runner.share(p) for p in (train, validation, test if labelled else None)
        ]
        tasks = _refit_tasks(runner, configs, splits, feature_transform)
        if labelled:  # the baselines fitted in the same run
            tasks += [
                Task(kind, baseline_row, (*splits, train_params.seed, kind))
                for kind in ("minirocket", "multirocket_hydra")
            ]
        results = runner.run(tasks, "select refits")
    # name -> (artifact, fit seconds, test probabilities, predict seconds)
    refitted = dict(zip(refits, results))
    fitted = {name: r[0] for name, r in refitted.items()}
    seconds = {name: r[1] for name, r in refitted.items()}
    probs = {name: r[2] for name, r in refitted.items()}
    predict_s = sum(r[3] for r in refitted.values())
    ensemble = {
        "format": ENSEMBLE_FORMAT,
        "vote": "soft",
        "member_names": names,
        "member_rank": list(range(len(names))),
        "member_weights": [float(selection["weights"][n]) for n in names],
        "members": [fitted[n] for n in names],
        "selection": selection,
    }
    if train_params.calibrate and oof is not None:
        ensemble = _calibrated_out_of_fold(ensemble, oof)
    rows = []
    if labelled:  # the one look at the test split
        rows = _test_rows(ensemble, probs, seconds, predict_s, selection, test)
        rows += results[len(refits) :]
        log_metrics({"test_macro_f1_selected": rows[0]["macro_f1"]})
        for row in rows:
            logger.info("%-28s test macro F1 %.4f", row["model"], row["macro_f1"])
    return ensemble, pd.DataFrame(rows).round(4)


def _refit_tasks(runner, configs, splits: list, feature_transform) -> list:
    """One task per selected candidate: its refit on the training split (and its
    probabilities on the labelled test split); ``splits``: train, validation and
    test (or ``None``) as the runner shares them."""
    return [
        Task(
            f"selected {name}",
            refit_member,
            (*splits, feature_transform, configured(runner, config)),
        )
        for name, config in configs.items()
    ]


def _calibrated_out_of_fold(ensemble: dict, oof: pd.DataFrame) -> dict:
    """The ensemble with a calibration of its vote fitted on the first repeat's
    out-of-fold predictions of its members, weighted as the vote weighs them."""
    arrays = out_of_fold_arrays(oof, ensemble["member_names"])
    probs = [arrays.probs[name][0] for name in ensemble["member_names"]]
    _, mean = vote(probs, "soft", ensemble["member_rank"], ensemble["member_weights"])
    held_out = {"y": arrays.y, "sample_ids": arrays.sample_ids}
    calibrated = with_calibration(ensemble, mean, held_out)
    calibrated["calibration"]["rows"] = "out-of-fold predictions of the members"
    log_calibration(calibrated["calibration"], "out-of-fold predictions")
    return calibrated


def _test_rows(ensemble, probs, seconds, predict_s, selection, test):
    """Test rows of the selected ensemble and of the best single candidate, from
    the refits' test probabilities (``predict_s``: their predict seconds in all)."""
    names, best = ensemble["member_names"], selection["best_single"]
    class_names = [str(c) for c in test["class_names"]]
    labels, _ = vote(
        [probs[n] for n in names],
        "soft",
        ensemble["member_rank"],
        ensemble["member_weights"],
    )
    fit_s = sum(seconds[n] for n in names)
    selected = score_row(
        "selected ensemble", "-", test["y"], labels, class_names, fit_s, predict_s
    )
    single = score_row(
        f"best single ({best})",
        "-",
        test["y"],
        probs[best].argmax(1),
        class_names,
        seconds[best],
        predict_s / len(probs),
    )
    return [
        selected | {"oof_macro_f1": selection["oof_macro_f1"]},
        single | {"oof_macro_f1": selection["best_single_oof_macro_f1"]},
    ]


def refit_member(train, validation, test, feature_transform, config: TrainConfig):
    """One task: a selected candidate refitted on the training split. Returns its
    artifact, fit seconds, probabilities on ``test`` (``None`` without) and predict
    seconds."""
    started = time.perf_counter()
    result = fit(train, validation, config, log_prefix="selected: ")
    seconds = time.perf_counter() - started
    artifact = build_artifact(result, config, feature_transform)
    if test is None:
        return artifact, seconds, None, 0.0
    started = time.perf_counter()
    probs = model_probabilities(artifact, test)
    return artifact, seconds, probs, time.perf_counter() - started


def baseline_row(train, validation, test, seed: int, kind: str) -> dict:
    """One task: MiniRocket or MultiRocket-Hydra fitted on train + validation,
    scored on test."""
    pooled = concat_model_inputs(train, validation)
    class_names = [str(c) for c in test["class_names"]]
    return minirocket_row(pooled, test, seed, class_names, kind)
