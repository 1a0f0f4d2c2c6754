"""Hyperparameter search with Optuna; workers share one study through the storage."""

from __future__ import annotations

import logging
import os
import socket
import time

import numpy as np
import optuna
import pandas as pd
import plotly.graph_objects as go
from sqlalchemy.exc import OperationalError

from ...errors import UserInputError
from ...modeling.config import TrainConfig
from ...modeling.data import stratified_folds
from ...modeling.training import fit
from ...parameters import TuneParams, check_search_space, trial_config
from ...tracking import log_fit, nested_run, tag_run
from ...tuning import make_pruner, make_sampler, make_storage, masked, suggest

logger = logging.getLogger(__name__)


def _objective(
    train: dict,
    validation: dict,
    base: TrainConfig,
    params: TuneParams,
    in_progress: dict[str, int],
):
    """Optuna objective: suggest, train with the one training function, report, prune
    (``in_progress``: the number of the trial this worker runs now)."""
    folds = params.objective_folds

    def objective(trial: optuna.Trial) -> float:
        in_progress["number"] = trial.number
        try:  # the first write too: a connection cut there is this trial's reason
            trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
            return train_and_score(trial)
        except optuna.TrialPruned:
            raise
        except Exception as exc:  # recorded with the trial; the study goes on
            trial.set_user_attr("fail_reason", f"{type(exc).__name__}: {exc}")
            raise

    def train_and_score(trial: optuna.Trial) -> float:
        suggested = suggest(trial, params.search_space)
        with nested_run(f"trial {trial.number}", suggested) as run:
            score, history = fit_trial(trial, suggested)
            log_fit(run, history, {"objective": score})
        return score

    def fit_trial(trial: optuna.Trial, suggested: dict) -> tuple[float, list]:
        # trials always score held-out data
        config = trial_config(base, params, suggested)
        config = config.model_copy(update={"fit_on_validation": False})
        prefix = f"trial {trial.number}: "
        if folds < 2:

            def report(epoch: int, score: float) -> None:
                trial.report(score, epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned()

            result = fit(
                train, validation, config, epoch_callback=report, log_prefix=prefix
            )
            return float(result.best_val_macro_f1), result.history
        scores = []
        for k, (fit_part, held_part) in enumerate(
            stratified_folds(train, validation, folds, config.seed)
        ):
            result = fit(
                fit_part, held_part, config, log_prefix=f"{prefix}fold {k + 1}: "
            )
            scores.append(result.best_val_macro_f1)
            trial.report(float(np.mean(scores)), k)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return float(np.mean(scores)), []

    return objective


def _record_failures(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
    """Callback: log the reason of a failed trial (its ``fail_reason`` user attribute)."""
    if trial.state == optuna.trial.TrialState.FAIL:
        reason = trial.user_attrs.get("fail_reason", "see the worker log")
        logger.warning("Trial %d failed: %s", trial.number, reason)


def run_study(
    train: dict,
    validation: dict,
    storage_url: str,
    train_params: TrainConfig,
    params: TuneParams,
) -> tuple[dict, pd.DataFrame, dict, go.Figure, go.Figure, go.Figure]:
    """Join (or create) the study and run this worker's trials.

    Args:
        train: Model input of the training split.
        validation: Model input of the validation split.
        storage_url: SQLAlchemy URL of the shared storage.
        train_params: The ``train`` block every trial starts from.
        params: The ``tune`` block.

    Returns:
        Best parameters as a ``train`` block (``{"train": {...}}``: the train block
        with ``tune.fixed`` and the best trial's values deep-merged in, exactly as
        that trial trained), the trials table, a summary, and the history /
        importance / parallel-coordinate plots.
    """
    check_search_space(train_params, params)
    base = train_params
    if params.torch_threads:
        base = base.model_copy(update={"torch_threads": params.torch_threads})
    storage = make_storage(storage_url, params)
    study = optuna.create_study(
        study_name=params.study_name,
        storage=storage,
        load_if_exists=True,
        direction=params.direction,
        sampler=make_sampler(params.sampler),
        pruner=make_pruner(params.pruner),
    )
    logger.info(
        "Worker %d joined study '%s' on %s (%d trials so far).",
        os.getpid(),
        study.study_name,
        masked(storage_url),
        len(study.trials),
    )
    tag_run({"study_name": study.study_name, "study_storage": masked(storage_url)})
    in_progress: dict[str, int] = {}
    objective = _objective(train, validation, base, params, in_progress)
    _optimize(study, objective, params, storage_url, storage, in_progress)
    return _outputs(study, train_params, params, storage_url)


def _optimize(
    study,
    objective,
    params: TuneParams,
    storage_url: str,
    storage: optuna.storages.BaseStorage,
    in_progress: dict[str, int],
) -> None:
    """This worker's trials; a lost storage connection is retried, one that stays
    away (``tune.connection_retries`` losses with no trial in between) is an error;
    the trial it cut is recorded FAIL, with the storage error as reason."""
    n_trials, timeout = params.n_trials, params.timeout
    started, finished, lost = time.monotonic(), [], []
    retries = params.connection_retries
    while n_trials is None or len(finished) < n_trials:
        remaining = None if timeout is None else timeout - (time.monotonic() - started)
        if remaining is not None and remaining <= 0:
            break
        try:
            study.optimize(
                objective,
                n_trials=None if n_trials is None else n_trials - len(finished),
                timeout=remaining,
                catch=(Exception,),  # a failing trial is recorded; the study goes on
                callbacks=[_record_failures, lambda _s, t: finished.append(t.number)],
                show_progress_bar=False,
            )
            break
        except (OperationalError, optuna.exceptions.StorageInternalError) as exc:
            # a lost connection is retried; a server that stays away is an error
            lost.append(len(finished))  # losses at one count: no trial in between
            in_a_row = lost.count(len(finished))
            if in_a_row > retries:
                raise UserInputError(
                    f"Lost the tuning storage {masked(storage_url)} {in_a_row} times "
                    "without a trial finishing in between: check that the database "
                    "server is up and rerun (finished trials are kept)."
                ) from exc
            logger.warning(
                "Lost the storage connection (%s); retrying in 5 s.", type(exc).__name__
            )
            time.sleep(5)
            _fail_cut_trial(study, storage, in_progress, exc)


def _fail_cut_trial(
    study: optuna.Study,
    storage: optuna.storages.BaseStorage,
    in_progress: dict[str, int],
    exc: Exception,
) -> None:
    """The trial this worker ran when its connection was cut, if Optuna could not
    record its end: FAIL now, with the storage error as reason, not RUNNING until
    the heartbeat's grace period ends (the worker may finish before that)."""
    if "number" not in in_progress:
        return
    number = in_progress["number"]
    try:
        study_id = storage.get_study_id_from_name(study.study_name)
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, number)
        if storage.get_trial(trial_id).state != optuna.trial.TrialState.RUNNING:
            return
        reason = f"{type(exc).__name__}: {exc}"
        storage.set_trial_user_attr(trial_id, "fail_reason", reason)
        storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL)
        logger.warning("Trial %d failed: %s", number, reason)
    except (OperationalError, optuna.exceptions.StorageInternalError):
        pass  # still away: the heartbeat fails it after the grace period


def _outputs(
    study: optuna.Study, train: TrainConfig, params: TuneParams, storage_url: str
):
    completed = study.get_trials(states=[optuna.trial.TrialState.COMPLETE])
    if not completed:
        raise UserInputError(
            f"Study '{study.study_name}' has no completed trial yet: run more trials "
            "(tune.n_trials) or widen tune.timeout."
        )
    best = study.best_trial
    best_params = trial_config(train, params, best.params).to_dict()
    trials = study.trials_dataframe(
        attrs=(
            "number",
            "value",
            "state",
            "params",
            "duration",
            "system_attrs",
            "user_attrs",
        )
    )
    trials["duration"] = trials["duration"].dt.total_seconds()
    states = pd.Series([t.state.name for t in study.trials]).value_counts().to_dict()
    summary = {
        "study_name": study.study_name,
        "storage": masked(storage_url),
        "best_trial": best.number,
        "best_value": best.value,
        "best_params": best.params,
        "trial_states": states,
    }
    logger.info(
        "Best trial %d: macro F1 %.4f with %s", best.number, best.value, best.params
    )
    return ({"train": best_params}, trials, summary, *_plots(study))


def _plots(study: optuna.Study) -> tuple[go.Figure, go.Figure, go.Figure]:
    from optuna.visualization import (
        plot_optimization_history,
        plot_parallel_coordinate,
        plot_param_importances,
    )

    history = plot_optimization_history(study)
    parallel = plot_parallel_coordinate(study)
    try:
        importances = plot_param_importances(study)
    except (RuntimeError, ValueError) as exc:  # too few trials or one parameter only
        importances = go.Figure().add_annotation(
            text=f"Parameter importances need more trials ({exc}).", showarrow=False
        )
    return history, importances, parallel
