"""Ensemble members (training parameters), voting and the comparison table."""

from __future__ import annotations

import logging
from typing import Any

import optuna
import pandas as pd

from ...baselines import minirocket_predict
from ...errors import UserInputError
from ...evaluation import classification_metrics
from ...modeling.artifacts import build_artifact
from ...modeling.calibration import log_calibration
from ...modeling.config import TrainConfig
from ...modeling.data import concat_model_inputs
from ...modeling.predict import (
    ENSEMBLE_FORMAT,
    VOTE_RULES,
    model_probabilities,
    scoring_probabilities,
    vote,
    with_calibration,
)
from ...modeling.training import fit
from ...parameters import (
    EnsembleParams,
    TuneParams,
    candidate_config,
    trial_config,
)
from ...tracking import log_fit, log_metrics, nested_run
from ...tuning import masked

logger = logging.getLogger(__name__)


def member_parameters(
    train: TrainConfig,
    candidates: dict[str, Any],
    ensemble: EnsembleParams,
    member: str,
    seed: int,
) -> dict[str, Any]:
    """The ``train`` block with one member's candidate overrides and seed applied.

    Returns:
        The member's checked training configuration, as a JSON-ready train block.
    """
    config = candidate_config(train, candidates, member, "ensemble.members")
    update: dict[str, Any] = {"seed": seed}
    if ensemble.torch_threads_per_member:
        update["torch_threads"] = ensemble.torch_threads_per_member
    return config.with_overrides(update, f"candidates.{member}").to_dict()


def train_study_members(
    train: dict,
    validation: dict,
    feature_transform: dict,
    storage_url: str,
    train_params: TrainConfig,
    tune_params: TuneParams,
    ensemble_params: EnsembleParams,
) -> dict:
    """Retrain the k best completed trials of the tuning study as members.

    Each trial's configuration is rebuilt as the trial trained it: ``tune.fixed``,
    then its suggested values, deep-merged into the train block.

    Returns:
        ``{"models": [artifact, ...]}``, best trial first.
    """
    k = ensemble_params.study_members.k
    name = ensemble_params.study_members.study_name or tune_params.study_name
    try:
        study = optuna.load_study(study_name=name, storage=storage_url)
    except KeyError:
        raise UserInputError(
            f"There is no study '{name}' in {masked(storage_url)}: run "
            "`kedro run --pipeline=tune` first or fix ensemble.study_members.study_name."
        ) from None
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = sorted(done, key=lambda t: t.value, reverse=True)[:k]
    if len(best) < k:
        raise UserInputError(
            f"Study '{name}' has {len(best)} completed trials, fewer than "
            f"ensemble.study_members.k = {k}: run more trials or lower k."
        )
    models = []
    for trial in best:
        config = trial_config(train_params, tune_params, trial.params)
        fitted = fit(
            train, validation, config, log_prefix=f"study trial {trial.number}: "
        )
        models.append(build_artifact(fitted, config, feature_transform))
    return {"models": models}


def _score(artifacts: dict[str, dict], data: dict) -> dict[str, Any]:
    """Per-member probabilities on one model input (decision rules applied, except
    on the rows they were fitted on)."""
    return {name: scoring_probabilities(a, data) for name, a in artifacts.items()}


def _rows(
    split: str,
    probs: dict,
    data: dict,
    rank: list[int],
    names: list[str],
    extra: dict | None = None,
):
    class_names = [str(c) for c in data["class_names"]]
    predictions = {name: p.argmax(1) for name, p in probs.items()}
    for rule in VOTE_RULES:
        labels, _ = vote([probs[n] for n in names], rule, rank)
        predictions[f"ensemble ({rule} vote)"] = labels
    predictions |= extra or {}
    rows = []
    for name, labels in predictions.items():
        metrics = classification_metrics(data["y"], labels, class_names)
        row = {
            "model": name,
            "split": split,
            "macro_f1": metrics["macro_f1"],
            "accuracy": metrics["accuracy"],
        }
        row |= {f"f1_{c}": metrics["per_class"][c]["f1"] for c in class_names}
        rows.append(row)
    return rows


def _track(artifacts: dict[str, dict], table: pd.DataFrame) -> None:
    """One nested run per member (configuration, curves, scores); the votes'
    scores on the ensemble's run."""
    for name, artifact in artifacts.items():
        rows = table[table["model"] == name]
        scores = {f"{r.split}_macro_f1": r.macro_f1 for r in rows.itertuples()}
        with nested_run(f"member {name}", {"train": artifact["train_config"]}) as run:
            log_fit(run, artifact.get("history") or [], scores)
    votes = table[table["model"].str.startswith("ensemble")]
    log_metrics(
        {
            f"{r.split}_macro_f1_{r.model.split('(')[1].split()[0]}_vote": r.macro_f1
            for r in votes.itertuples()
        }
    )


def combine_members(
    train: dict,
    validation: dict,
    test: dict,
    ensemble_params: EnsembleParams,
    *member_models: dict,
    names: list[str] | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Rank members on validation macro F1, build the ensemble, compare them all.

    Args:
        train: Model input of the training split (fits the baselines, with
            validation).
        validation: Model input of the validation split.
        test: Model input of the test split (scored where labels exist).
        ensemble_params: The ``ensemble`` block (``vote``).
        *member_models: Member artifacts (or lists of them: fold or study models).
        names: Member names, in the order of ``member_models``.

    Returns:
        The ensemble artifact and the comparison table (members and both vote rules,
        on validation and, with labels, test).
    """
    rule = ensemble_params.vote
    artifacts = _member_artifacts(names, member_models)
    ordered = list(artifacts)
    val_probs = _score(artifacts, validation)
    val_f1 = {
        n: classification_metrics(
            validation["y"], p.argmax(1), [str(c) for c in validation["class_names"]]
        )["macro_f1"]
        for n, p in val_probs.items()
    }
    # best validation macro F1 first; ties by name, so the rule is deterministic
    rank = sorted(range(len(ordered)), key=lambda i: (-val_f1[ordered[i]], ordered[i]))
    rows = _rows("validation", val_probs, validation, rank, ordered)
    if (test["y"] >= 0).all() and len(test["y"]):
        baselines = {}
        if ensemble_params.baselines:  # minirocket, the one baseline there is
            pooled = concat_model_inputs(train, validation)
            predicted, _, _ = minirocket_predict(pooled, test, seed=1)
            baselines["minirocket (baseline)"] = predicted
        rows += _rows("test", _score(artifacts, test), test, rank, ordered, baselines)
    table = pd.DataFrame(rows)
    _log_table(table)
    _track(artifacts, table)
    ensemble = {
        "format": ENSEMBLE_FORMAT,
        "vote": rule,
        "member_names": ordered,
        "member_rank": rank,
        "members": [artifacts[n] for n in ordered],
    }
    if ensemble_params.calibrate:
        ensemble = calibrate_vote(ensemble, validation)
    return ensemble, table.round(6)


def calibrate_vote(ensemble: dict, validation: dict) -> dict:
    """The ensemble with a calibration of its vote, fitted on the validation split
    (skipped where a member trained on it)."""
    members = ensemble["members"]
    if any(m["train_config"].get("fit_on_validation") for m in members):
        logger.info("Ensemble not calibrated: a member was fitted on validation.")
        return ensemble
    probs = [model_probabilities(m, validation) for m in members]
    _, mean = vote(probs, ensemble["vote"], ensemble["member_rank"])
    calibrated = with_calibration(ensemble, mean, validation)
    log_calibration(calibrated["calibration"], "validation split, after the vote")
    return calibrated


def _member_artifacts(names, member_models) -> dict[str, dict]:
    """Member artifacts by name (fold models as ``<name>_<k>``); at least two."""
    artifacts: dict[str, dict] = {}
    for name, model in zip(names, member_models):
        if isinstance(model, dict) and "models" in model:  # a list of fold models
            for k, fold in enumerate(model["models"]):
                artifacts[f"{name}_{k + 1}"] = fold
        else:
            artifacts[name] = model
    if len(artifacts) < 2:
        raise UserInputError(
            "The ensemble has fewer than two members: declare more in "
            "parameters_ensemble.yml (ensemble.members)."
        )
    in_sample = [
        n for n in artifacts if artifacts[n]["train_config"].get("fit_on_validation")
    ]
    if in_sample:
        logger.warning(
            "Members fitted on the validation split (train.fit_on_validation): %s; "
            "their validation scores, and so the hard-vote tie order, are in-sample.",
            ", ".join(in_sample),
        )
    return artifacts


def _log_table(table: pd.DataFrame) -> None:
    for _, row in table.iterrows():
        logger.info(
            "%-28s %-10s macro F1 %.4f accuracy %.4f",
            row["model"],
            row["split"],
            row["macro_f1"],
            row["accuracy"],
        )
