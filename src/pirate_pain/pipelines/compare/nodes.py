"""Repeated stratified k-fold comparison of candidate configurations.

Every candidate is fitted on the same folds (train + validation pooled, the one
k-fold routine), so differences are paired; no test labels are needed. Inside a
fold, early stopping and a ``macro_f1`` decision rule use a stratified part of the
fold's training rows; the scored fold is never seen before it is scored.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import numpy as np
import pandas as pd

from ...evaluation import classification_metrics
from ...fanout import FanoutParams, Task, configured, fan_out
from ...modeling.classifier import Classifier
from ...modeling.comparison import (
    corrected_interval,
    halve,
    not_picked,
    paired_difference,
    race,
)
from ...modeling.config import TrainConfig
from ...modeling.data import stratified_folds, stratified_holdout
from ...modeling.scores import mean_log_loss
from ...modeling.selection import SELECTION_RULES, out_of_fold_arrays
from ...modeling.training import attach_decision, fit
from ...parameters import CompareParams, candidate_config
from ...tracking import log_fit, nested_run

logger = logging.getLogger(__name__)


def score_on_fold(inner, held, configs: dict[str, TrainConfig], prefix: str) -> dict:
    """One task: fit the candidates of ``configs`` on one fold's ``inner`` split and
    predict ``held``. They differ only in the decision rule, so they share one fit
    (their difference is the rule's alone). Returns, per candidate, the held-out
    probabilities and the fit's history."""
    base = next(iter(configs.values())).model_copy(update={"decision_rule": "argmax"})
    shared: Classifier = fit(*inner, base, log_prefix=prefix)
    results = {}
    for name, config in configs.items():
        fitted = dataclasses.replace(shared)
        if config.decision_rule == "macro_f1":
            attach_decision(fitted, inner[1], config, prefix)
        probs = fitted.probabilities(held, config.window)
        results[name] = {"probs": probs, "history": fitted.history}
    return results


def _shared_fits(configs: dict[str, TrainConfig]) -> list[dict[str, TrainConfig]]:
    """Candidates grouped by their configuration without the decision rule."""
    groups: dict[str, dict[str, TrainConfig]] = {}
    for name, config in configs.items():
        base = config.model_copy(update={"decision_rule": "argmax"})
        groups.setdefault(json.dumps(base.to_dict(), sort_keys=True), {})[name] = config
    return list(groups.values())


def _oof_rows(name, repeat, fold, held, probs, names) -> list[dict]:
    predicted = probs.argmax(1)
    return [
        {
            "configuration": name,
            "repeat": repeat,
            "fold": fold,
            "sample_index": str(sample),
            "label": names[held["y"][i]],
            "predicted": names[predicted[i]],
            **{f"p_{c}": float(probs[i, j]) for j, c in enumerate(names)},
        }
        for i, sample in enumerate(held["sample_ids"])
    ]


def cross_validate_candidates(
    train: dict,
    validation: dict,
    train_params: TrainConfig,
    candidates: dict[str, Any],
    compare: CompareParams,
    fanout: FanoutParams,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score each candidate by repeated stratified k-fold on the labelled data.

    Args:
        train: Model input of the training split.
        validation: Model input of the validation split (pooled with train).
        train_params: The ``train`` block candidates start from.
        candidates: Named overrides of the train block.
        compare: The ``compare`` block: candidates, reference, folds, repeats, seed.
        fanout: Where the fits run (``fanout.py``): every candidate x repeat x
            fold fit is one task.

    Returns:
        One row per candidate (mean macro F1, standard deviation, Nadeau-Bengio 95 %
        interval, paired difference to the reference with interval and p-value;
        with ``compare.racing`` also after which fold a candidate was dropped and
        why, its figures over the folds it had) and the out-of-fold predictions of
        every candidate and repeat (a dropped one's of its folds only).
    """
    names = [str(c) for c in train["class_names"]]
    configs = {
        name: candidate_config(
            train_params, candidates, name, "compare.candidates"
        ).model_copy(update={"fit_on_validation": False})
        for name in compare.candidates
    }
    folds = _folds(train, validation, compare)
    with fan_out(fanout) as runner:
        scores, oof_rows, dropped = _raced_folds(runner, folds, configs, compare, names)
    n = len(train["y"]) + len(validation["y"])
    reference = compare.reference or compare.candidates[0]
    rows = [
        _summary_row(name, values, scores[reference], reference, n, compare.folds)
        for name, values in scores.items()
    ]
    if compare.racing:  # after which fold a candidate was dropped, and why
        for row in rows:
            after, why = dropped.get(row["configuration"], (None, ""))
            row |= {"dropped_after_fold": after, "dropped_because": why}
    return pd.DataFrame(rows).round(6), pd.DataFrame(oof_rows)


def _raced_folds(runner, folds, configs, compare: CompareParams, names):
    """Every candidate's fold scores and out-of-fold rows, fitted in stages:
    without racing every fold at once; with it the first ``race_after`` folds, then
    the rest for the candidates the rule keeps (``margin``: once; ``halving`` and
    ``selection``: after every fold until ``race_keep`` are left; the anchored
    selection's anchor always goes on). Returns the scores, the rows and the
    dropped candidates with the fold after which each was dropped and why."""
    scores = {name: [] for name in configs}
    oof_rows, dropped, alive, start = [], {}, dict(configs), 0
    while start < len(folds):
        stop = _next_stop(compare, start, len(folds), len(alive))
        more, more_rows = _fit_folds(runner, folds[start:stop], alive, names)
        for name, values in more.items():
            scores[name] += values
        oof_rows += more_rows
        if stop < len(folds):
            racing = {n: scores[n] for n in alive}
            if compare.race_rule == "halving":
                losses = _log_losses(oof_rows, alive, names)
                out = halve(racing, losses, compare.race_keep)
            elif compare.race_rule == "selection":
                oof = out_of_fold_arrays(pd.DataFrame(oof_rows), list(alive))
                rule = SELECTION_RULES[compare.rule]
                options = compare.rule_options()
                chosen = rule(oof.probs, oof.y, compare.max_members, **options)
                picks = chosen["weights"]
                out = not_picked(racing, picks)
            else:
                out = race(racing, compare.race_margin)
            if compare.rule == "anchored":  # the rule compares against the anchor
                out.pop(compare.anchor, None)
            for name, why in out.items():
                logger.info("Racing: %s gets no more fits: %s.", name, why)
                dropped[name] = (stop, why)
                del alive[name]
        start = stop
    return scores, oof_rows, dropped


def _next_stop(compare: CompareParams, start: int, total: int, alive: int) -> int:
    """Where the next stage of fits ends (a fold position)."""
    if (
        not compare.racing
        or start >= compare.race_after
        and (compare.race_rule == "margin" or alive <= compare.race_keep)
    ):
        return total
    return min(total, compare.race_after if start == 0 else start + 1)


def _log_losses(oof_rows: list[dict], names, class_names) -> dict[str, float]:
    """Mean log loss of each candidate's out-of-fold rows so far."""
    rows = pd.DataFrame(oof_rows)
    losses = {}
    for name in names:
        mine = rows[rows["configuration"] == name]
        y = mine["label"].map(class_names.index).to_numpy()
        probs = mine[[f"p_{c}" for c in class_names]].to_numpy(np.float64)
        losses[name] = mean_log_loss(y, probs)
    return losses


def _folds(train: dict, validation: dict, compare: CompareParams) -> list[tuple]:
    """``((repeat, fold), inner, held)`` of every repeat and fold, in order: the
    fold's training rows split for early stopping, and the rows it scores."""
    folds = []
    for repeat in range(1, compare.repeats + 1):
        seed = compare.seed + repeat - 1
        for k, (fit_part, held) in enumerate(
            stratified_folds(train, validation, compare.folds, seed), start=1
        ):
            inner = stratified_holdout(fit_part, compare.early_stopping_fraction, seed)
            folds.append(((repeat, k), inner, held))
    return folds


def _fit_folds(runner, folds, configs: dict[str, TrainConfig], class_names):
    """One task per fold and group of candidates sharing a fit. Each candidate's
    fold is scored and tracked as soon as its fit comes back, while the workers fit
    the next ones. Returns macro F1 per candidate and fold (in fold order) and the
    out-of-fold rows (fold by fold, candidates in the listed order)."""
    groups = _shared_fits(configs)  # candidates that share one fit per fold
    tasks, places = [], []
    for position, (key, inner, held) in enumerate(folds):
        inner_shared, held_shared = runner.share(inner), runner.share(held)
        for group in groups:
            group = {n: configured(runner, c) for n, c in group.items()}
            prefix = f"{'/'.join(group)} repeat {key[0]} fold {key[1]}: "
            tasks.append(
                Task(
                    prefix.rstrip(": "),
                    score_on_fold,
                    (inner_shared, held_shared, group, prefix),
                    kind="/".join(group),
                )
            )
            places.append((position, list(group)))
    tracked: dict[tuple[int, str], tuple[float, list[dict]]] = {}

    def track(i: int, result: dict) -> None:
        position, names = places[i]
        key, _, held = folds[position]
        for name in names:
            tracked[position, name] = _track_fold(
                name, key, held, result[name], class_names
            )

    if tasks:
        runner.run(tasks, "compare", done=track)
    order = [(position, name) for position in range(len(folds)) for name in configs]
    scores = {
        name: [tracked[p, name][0] for p in range(len(folds))] for name in configs
    }
    return scores, [row for place in order for row in tracked[place][1]]


def _track_fold(name, key, held, result, names) -> tuple[float, list[dict]]:
    """One candidate's fold: macro F1, its nested run, the out-of-fold rows."""
    repeat, k = key
    probs = result["probs"]
    metrics = classification_metrics(held["y"], probs.argmax(1), names)
    fields = {"configuration": name, "repeat": repeat, "fold": k}
    with nested_run(f"{name} repeat {repeat} fold {k}", fields) as run:
        log_fit(run, result["history"], {"macro_f1": metrics["macro_f1"]})
    return metrics["macro_f1"], _oof_rows(name, repeat, k, held, probs, names)


def _summary_row(name, values, reference_values, reference, n, folds) -> dict:
    """Mean macro F1 with its corrected interval and the paired difference to the
    reference (Nadeau-Bengio: training and test sizes of one fold)."""
    n_test = n // folds
    mean, std, low, high = corrected_interval(values, n - n_test, n_test)
    common = min(len(values), len(reference_values))  # a raced one: its folds
    diff, diff_low, diff_high, p_value = paired_difference(
        values[:common], reference_values[:common], n - n_test, n_test
    )
    logger.info(
        "%s: macro F1 %.4f [%.4f, %.4f]; vs %s %+.4f (p %.3g)",
        name,
        mean,
        low,
        high,
        reference,
        diff,
        p_value,
    )
    return {
        "configuration": name,
        "macro_f1_mean": mean,
        "macro_f1_std": std,
        "ci95_low": low,
        "ci95_high": high,
        "reference": reference,
        "diff_vs_reference": diff,
        "diff_ci95_low": diff_low,
        "diff_ci95_high": diff_high,
        "p_value": p_value,
        "fits": len(values),
    }


def add_test_column(
    table: pd.DataFrame,
    train: dict,
    validation: dict,
    test: dict,
    train_params: TrainConfig,
    candidates: dict[str, Any],
    compare: CompareParams,
    fanout: FanoutParams,
) -> pd.DataFrame:
    """``test_macro_f1`` per candidate (one fit on the standard split) where the test
    split has labels: reported beside the cross-validated figures, never chosen on
    (no node that chooses reads the test split)."""
    if not compare.score_test or not len(test["y"]) or (test["y"] < 0).any():
        return table
    names = [str(c) for c in train["class_names"]]
    with fan_out(fanout) as runner:
        shared = [runner.share(part) for part in (train, validation, test)]
        tasks = [
            Task(
                f"{name} test column",
                predict_test,
                (*shared, configured(runner, _config(train_params, candidates, name))),
            )
            for name in table["configuration"]
        ]
        probs = runner.run(tasks, "compare test column")
    scores = [
        classification_metrics(test["y"], p.argmax(1), names)["macro_f1"] for p in probs
    ]
    return table.assign(test_macro_f1=np.round(scores, 6))


def _config(train_params, candidates, name) -> TrainConfig:
    return candidate_config(train_params, candidates, name, "compare.candidates")


def predict_test(train, validation, test, config: TrainConfig):
    """One task: fit ``config`` on the standard split, probabilities on ``test``."""
    fitted = fit(train, validation, config, log_prefix="test column: ")
    return fitted.probabilities(test, config.window)
