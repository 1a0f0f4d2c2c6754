"""Optuna study set-up: search space, storage with heartbeats, sampler and pruner.

Kept apart from the tune nodes so the objective stays short (Optuna's own examples).
"""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any

import optuna
from sqlalchemy.engine import make_url

from .errors import UserInputError
from .modeling.config import TrainConfig, set_dotted

logger = logging.getLogger(__name__)

SPACE_TYPES = ("float", "int", "categorical")
SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "hyperband", "none")


def masked(url: str) -> str:
    """A storage URL with its password hidden, for logs and errors."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL: show nothing of it
        return "<storage URL>"


def check_search_space(space: dict[str, Any], train_params: dict[str, Any]) -> None:
    """Refuse a bad entry of ``tune.search_space`` with one sentence."""
    if not space:
        raise UserInputError(
            "tune.search_space is empty: add at least one parameter to search in "
            "parameters_tune.yml."
        )
    for path, spec in space.items():
        where = f"tune.search_space.{path}"
        kind = (spec or {}).get("type")
        if kind not in SPACE_TYPES:
            raise UserInputError(
                f"{where}.type is {kind!r}: choose one of {', '.join(SPACE_TYPES)}."
            )
        if kind == "categorical":
            choices = spec.get("choices")
            if not isinstance(choices, list) or not choices:
                raise UserInputError(f"{where}.choices must be a non-empty list.")
            samples = choices
        else:
            low, high = spec.get("low"), spec.get("high")
            if not isinstance(low, int | float) or not isinstance(high, int | float):
                raise UserInputError(f"{where} needs numeric low and high values.")
            if low >= high:
                raise UserInputError(
                    f"{where} has low {low} >= high {high}: swap them."
                )
            if spec.get("log") and low <= 0:
                raise UserInputError(f"{where} is on a log scale: low must be > 0.")
            samples = [low, high]
        for value in samples:
            TrainConfig.from_params(
                set_dotted(train_params, path, value), prefix="train"
            )


def suggest(trial: optuna.Trial, space: dict[str, Any], base: dict[str, Any]) -> dict:
    """The ``train`` block with this trial's suggested values set."""
    params = base
    for path, spec in space.items():
        if spec["type"] == "categorical":
            value = trial.suggest_categorical(path, spec["choices"])
        elif spec["type"] == "int":
            value = trial.suggest_int(
                path,
                spec["low"],
                spec["high"],
                step=spec.get("step", 1),
                log=spec.get("log", False),
            )
        else:
            value = trial.suggest_float(
                path,
                spec["low"],
                spec["high"],
                step=spec.get("step"),
                log=spec.get("log", False),
            )
        params = set_dotted(params, path, value)
    return params


def make_sampler(spec: dict[str, Any]) -> optuna.samplers.BaseSampler:
    name = spec.get("name", "tpe")
    if name not in SAMPLERS:
        raise UserInputError(
            f"tune.sampler.name is '{name}': choose one of {', '.join(SAMPLERS)}."
        )
    seed = spec.get("seed")
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=spec.get("n_startup_trials", 5)
    )


def make_pruner(spec: dict[str, Any]) -> optuna.pruners.BasePruner:
    name = spec.get("name", "median")
    if name not in PRUNERS:
        raise UserInputError(
            f"tune.pruner.name is '{name}': choose one of {', '.join(PRUNERS)}."
        )
    if name == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=spec.get("n_startup_trials", 5),
            n_warmup_steps=spec.get("n_warmup_steps", 3),
        )
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=spec.get("min_resource", 1))
    return optuna.pruners.NopPruner()


def _rdb_storage(url: str, params: dict[str, Any], heartbeat: int):
    return optuna.storages.RDBStorage(
        url,
        engine_kwargs={"pool_pre_ping": True, "pool_recycle": 300},
        heartbeat_interval=heartbeat,
        grace_period=params.get("grace_period", 3 * heartbeat),
        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
            max_retry=params.get("max_retry", 3)
        ),
    )


def make_storage(url: str, params: dict[str, Any]) -> optuna.storages.RDBStorage:
    """RDB storage with heartbeats: a killed worker's trial is failed and retried."""
    heartbeat = params.get("heartbeat_interval", 10)
    retries = params.get("connection_retries", 3)
    for attempt in range(1, retries + 1):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna 5
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return _rdb_storage(url, params, heartbeat)
        except Exception as exc:  # noqa: BLE001 - driver errors differ by database
            if attempt == retries:
                raise UserInputError(
                    f"The tuning storage {masked(url)} cannot be reached "
                    f"({type(exc).__name__}): start the database or fix the URL in "
                    "conf/local/credentials.yml (optuna_storage) or "
                    "PIRATE_PAIN_OPTUNA_STORAGE."
                ) from None
            logger.warning(
                "Storage %s not reachable (attempt %d/%d); retrying.",
                masked(url),
                attempt,
                retries,
            )
            time.sleep(2 * attempt)
    raise AssertionError("unreachable")
