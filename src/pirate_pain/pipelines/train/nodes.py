"""Training, k-fold cross validation and evaluation nodes."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ...evaluation import (
    classification_metrics,
    plot_confusion_matrix,
    plot_learning_curves,
)
from ...fanout import FanoutParams, Task, configured, fan_out
from ...modeling.artifacts import build_artifact, model_id
from ...modeling.calibration import calibration_summary, log_calibration
from ...modeling.config import TrainConfig
from ...modeling.data import stratified_folds, stratified_holdout
from ...modeling.decision import overlaps
from ...modeling.predict import fold_part, scoring_probabilities, with_calibration
from ...modeling.training import fit
from ...tracking import log_fit, nested_run

logger = logging.getLogger(__name__)


def train_model(
    train: dict,
    validation: dict,
    feature_transform: dict,
    params: TrainConfig,
    cv_models: dict | None = None,
) -> tuple[dict, list[dict]]:
    """Train one classifier with the configured architecture and techniques.

    Args:
        train: Model input of the training split.
        validation: Model input of the validation split (early stopping).
        feature_transform: The fitted preprocessing, stored inside the artifact.
        params: The ``train`` block (an ensemble member's arrives as a checked
            mapping from ``member_parameters``).
        cv_models: The k fold models and their out-of-fold predictions; with
            ``train.calibrate`` these rows calibrate the model (cross-conformal)
            instead of the validation split alone.

    Returns:
        The model artifact and the per-epoch history.
    """
    config = TrainConfig.from_params(params)
    fitted = fit(train, validation, config)
    if fitted.best_val_macro_f1 is None:
        logger.info("Trained %d epochs, no early stopping", fitted.best_epoch)
    else:
        logger.info(
            "Best epoch %d, validation macro F1 %.4f",
            fitted.best_epoch,
            fitted.best_val_macro_f1,
        )
    artifact = build_artifact(fitted, config, feature_transform)
    if config.calibrate:
        artifact = calibrate(artifact, fitted, validation, config, cv_models)
    # the history names the model it describes (the report checks it)
    history = [
        {**record, "model_id": artifact["model_id"]} for record in fitted.history
    ]
    return artifact, history


def calibrate(
    artifact: dict, fitted, validation: dict, config: TrainConfig, cv_models
) -> dict:
    """The artifact with calibrations fitted on rows the models never trained on.

    Each model is scaled on its own held-out predictions: the final model on the
    validation split; where k-fold ran, the fold models on their out-of-fold
    predictions (every labelled row, a prediction of a model that did not see it),
    which also make the cross-conformal sets. Without a validation split
    (``train.fit_on_validation``) the final model takes the fold models' scaling."""
    held_out = (cv_models or {}).get("held_out")
    own_rows = not config.fit_on_validation and len(validation["y"])
    if not held_out and not own_rows:
        logger.info("Not calibrated: no held-out rows (train.fit_on_validation).")
        return artifact
    if held_out:
        rows = {"y": np.asarray(held_out["y"]), "sample_ids": held_out["sample_ids"]}
        rows["folds"] = held_out.get("folds")
        probs = np.asarray(held_out["probs"], dtype=np.float64)
        calibrated = with_calibration(artifact, probs, rows, cv_models["models"])
        where = f"out-of-fold predictions of {len(cv_models['models'])} fold models"
    if own_rows:  # the final model's own scaling; fold models keep theirs (the sets)
        probs = fitted.probabilities(validation, config.window)
        own = with_calibration(artifact, probs, validation)
        if held_out:
            own["calibration"] |= fold_part(calibrated["calibration"])
            where = f"validation split (scaling); {where} (sets)"
        else:
            where = "validation split"
        calibrated = own
    calibrated["calibration"]["rows"] = where
    log_calibration(calibrated["calibration"], where)
    return calibrated


def cross_validate(
    train: dict,
    validation: dict,
    feature_transform: dict,
    params: TrainConfig,
    fanout: FanoutParams,
) -> tuple[dict, dict]:
    """Stratified k-fold on train + validation when ``cross_validation.folds`` >= 2.

    Each fold model early-stops on a stratified part of its training rows
    (``cross_validation.early_stopping_fraction``): the scored fold is unseen.
    Every fold is one task (``fanout``): fitted where a worker is free, the same
    models and predictions as one fold at a time.

    Returns:
        ``{"models": [artifact, ...], "held_out": ...}`` (the fold models and
        their predictions of the rows they held out; empty when off) and the fold
        summary.
    """
    # fold models early-stop (and fit a macro_f1 rule) on a stratified part of
    # their training rows, so the scored fold stays unseen, as in compare
    config = params.model_copy(update={"fit_on_validation": False})
    folds = config.cross_validation.folds
    if folds < 2:
        return {"models": []}, {"enabled": False}
    with fan_out(fanout) as runner:
        tasks = _fold_tasks(runner, train, validation, config, feature_transform)
        results = runner.run(tasks, "train k-fold")
    names = [str(c) for c in train["class_names"]]
    models, per_fold = [], []
    held_out = {"probs": [], "y": [], "sample_ids": [], "folds": []}
    for k, (task, result) in enumerate(zip(tasks, results), start=1):
        probs, held = result["probs"], task.args[1]
        metrics = classification_metrics(held["y"], probs.argmax(1), names)
        with nested_run(f"fold {k}/{folds}", {"fold": k}) as run:
            log_fit(run, result["history"], {"macro_f1": metrics["macro_f1"]})
        # what the model predicts for rows nothing in its fit saw: calibration rows
        held_out["probs"] += probs.tolist()
        held_out["y"] += [int(label) for label in held["y"]]
        held_out["sample_ids"] += [str(s) for s in held["sample_ids"]]
        held_out["folds"] += [k] * len(held["y"])
        per_fold.append(
            {
                "fold": k,
                "macro_f1": metrics["macro_f1"],
                "accuracy": metrics["accuracy"],
                "best_epoch": result["best_epoch"],
            }
        )
        models.append(result["artifact"])
    return {"models": models, "held_out": held_out}, _fold_summary(per_fold)


def _fold_tasks(runner, train, validation, config, feature_transform) -> list[Task]:
    """One task per fold: its training rows (less the early-stopping part) and the
    rows it scores."""
    folds = config.cross_validation.folds
    fraction = config.cross_validation.early_stopping_fraction
    splits = stratified_folds(train, validation, folds, config.seed)
    return [
        Task(
            f"fold {k}/{folds}",
            fit_fold,
            (
                stratified_holdout(fit_part, fraction, config.seed),
                held,
                configured(runner, config),
                config,
                feature_transform,
                f"fold {k}/{folds}: ",
            ),
        )
        for k, (fit_part, held) in enumerate(splits, start=1)
    ]


def fit_fold(inner, held, config: TrainConfig, stored: TrainConfig, transform, prefix):
    """One task: a fold model fitted on ``inner`` (its training and early-stopping
    rows) with ``config``; its artifact (holding ``stored``, the configuration
    without the worker's thread count), history and probabilities of ``held``."""
    fitted = fit(*inner, config, log_prefix=prefix)
    return {
        "artifact": build_artifact(fitted, stored, transform),
        "history": fitted.history,
        "best_epoch": fitted.best_epoch,
        "probs": fitted.probabilities(held, config.window),
    }


def _fold_summary(per_fold: list[dict]) -> dict:
    """Mean and spread of the folds' macro F1 and accuracy, logged."""
    f1s = np.array([f["macro_f1"] for f in per_fold])
    accs = np.array([f["accuracy"] for f in per_fold])
    summary = {
        "enabled": True,
        "folds": per_fold,
        "macro_f1_mean": float(f1s.mean()),
        "macro_f1_std": float(f1s.std()),
        "accuracy_mean": float(accs.mean()),
        "accuracy_std": float(accs.std()),
    }
    logger.info(
        "Cross validation: macro F1 %.4f ± %.4f over %d folds",
        summary["macro_f1_mean"],
        summary["macro_f1_std"],
        len(per_fold),
    )
    return summary


def predictions_table(ids, probs: np.ndarray, class_names: list[str]) -> pd.DataFrame:
    """One row per sequence: id, predicted label and per-class probabilities."""
    table = pd.DataFrame(
        {
            "sample_index": [str(i) for i in ids],
            "label": [class_names[k] for k in probs.argmax(1)],
        }
    )
    for k, name in enumerate(class_names):
        table[f"p_{name}"] = probs[:, k]
    return table


def evaluate_model(
    model: dict, validation: dict, cv_summary: dict
) -> tuple[dict, pd.DataFrame]:
    """Score a model artifact on the validation split.

    Returns:
        The metrics (with the cross-validation summary when enabled) and the
        validation predictions.
    """
    probs = scoring_probabilities(model, validation)
    names = [str(c) for c in validation["class_names"]]
    metrics = classification_metrics(validation["y"], probs.argmax(1), names)
    metrics["model_id"] = model_id(model)
    metrics["best_epoch"] = model["best_epoch"]
    metrics["decision_rule"] = (model.get("decision") or {}).get("rule", "argmax")
    if overlaps(model.get("decision"), validation["sample_ids"]):
        metrics["decision_rule"] += " (fitted on this split: scored with argmax)"
        logger.info(
            "The macro_f1 decision rule was fitted on the validation split, so it is "
            "scored with argmax; `kedro run --pipeline=compare` measures the rule."
        )
    if model["train_config"].get("fit_on_validation"):
        metrics["validation_in_training"] = True  # in-sample scores
        logger.warning(
            "train.fit_on_validation is true: the validation split was trained on, "
            "so its scores below are in-sample."
        )
    if cv_summary.get("enabled"):
        metrics["cross_validation"] = cv_summary
    if calibration_summary(model):
        metrics["calibration"] = calibration_summary(model)
    logger.info(
        "Validation macro F1 %.4f, accuracy %.4f",
        metrics["macro_f1"],
        metrics["accuracy"],
    )
    predictions = predictions_table(validation["sample_ids"], probs, names)
    predictions["model_id"] = metrics["model_id"]
    return metrics, predictions


def plot_validation_confusion_matrix(metrics: dict):
    """Confusion-matrix figure of the validation split, titled with the model."""
    title = f"Validation, model {metrics.get('model_id', 'unknown')}"
    return plot_confusion_matrix(metrics, title)


def plot_training_curves(history: list[dict]):
    """Learning-curve figure of a training run, titled with the model."""
    model = history[0].get("model_id", "unknown") if history else "unknown"
    return plot_learning_curves(history, f"Learning curves, model {model}")
