"""Optuna study set-up: search space, storage with heartbeats, sampler and pruner.

Kept apart from the tune nodes so the objective stays short (Optuna's own examples).
"""

from __future__ import annotations

import logging
import time
import warnings

import optuna
from sqlalchemy.engine import make_url

from .errors import UserInputError
from .parameters import PrunerParams, SamplerParams, SearchDimension, TuneParams

logger = logging.getLogger(__name__)


def masked(url: str) -> str:
    """A storage URL with its password hidden, for logs and errors."""
    try:
        parsed = make_url(url)
        if _misparsed(parsed):
            # an unescaped '@' in the password: SQLAlchemy split at the first one;
            # the host and database follow the last one
            tail = url.rpartition("@")[2]
            parsed = make_url(f"{parsed.drivername}://{parsed.username}:x@{tail}")
        return parsed.render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL: show nothing of it
        return "<storage URL>"


def server_reason(exc: BaseException, url: str) -> str:
    """The database driver's own reason (e.g. "Unknown database 'x'"), one line,
    with the URL's password removed should the driver repeat it."""
    orig = getattr(exc, "orig", None) or exc
    args = getattr(orig, "args", ())
    reason = args[-1] if args and isinstance(args[-1], str) else str(orig)
    reason = reason.strip().splitlines()[0] if reason.strip() else type(exc).__name__
    try:
        password = make_url(url).password
    except Exception:  # noqa: BLE001 - not a URL: nothing to remove
        password = None
    if password:
        reason = reason.replace(str(password), "***")
    return reason[:200]


def _misparsed(parsed) -> bool:
    return "@" in (parsed.host or "") + (parsed.database or "")


def check_storage_url(url: str) -> None:
    """A password with an unescaped '@' would send the rest of it as the host."""
    try:
        misparsed = _misparsed(make_url(url))
    except Exception:  # noqa: BLE001 - SQLAlchemy's own message, masked
        raise UserInputError(
            f"The tuning storage URL {masked(url)} is not a database URL: fix it in "
            "conf/local/credentials.yml (optuna_storage) or PIRATE_PAIN_OPTUNA_STORAGE."
        ) from None
    if misparsed:
        raise UserInputError(
            f"The tuning storage URL {masked(url)} has an '@' in its password: write "
            "it as %40 (URL-escaped) in conf/local/credentials.yml or "
            "PIRATE_PAIN_OPTUNA_STORAGE."
        )


def suggest(trial: optuna.Trial, space: dict[str, SearchDimension]) -> dict:
    """This trial's suggested values, by dotted path into the train block."""
    values = {}
    for path, spec in space.items():
        if spec.type == "categorical":
            values[path] = trial.suggest_categorical(path, spec.choices)
        elif spec.type == "int":
            values[path] = trial.suggest_int(
                path,
                int(spec.low),
                int(spec.high),
                step=int(spec.step or 1),
                log=spec.log,
            )
        else:
            values[path] = trial.suggest_float(
                path, spec.low, spec.high, step=spec.step, log=spec.log
            )
    return values


def make_sampler(spec: SamplerParams) -> optuna.samplers.BaseSampler:
    if spec.name == "random":
        return optuna.samplers.RandomSampler(seed=spec.seed)
    return optuna.samplers.TPESampler(
        seed=spec.seed, n_startup_trials=spec.n_startup_trials
    )


def make_pruner(spec: PrunerParams) -> optuna.pruners.BasePruner:
    if spec.name == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=spec.n_startup_trials, n_warmup_steps=spec.n_warmup_steps
        )
    if spec.name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=spec.min_resource)
    return optuna.pruners.NopPruner()


def _rdb_storage(url: str, params: TuneParams):
    return optuna.storages.RDBStorage(
        url,
        engine_kwargs={"pool_pre_ping": True, "pool_recycle": 300},
        heartbeat_interval=params.heartbeat_interval,
        grace_period=params.grace_period,
        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
            max_retry=params.max_retry
        ),
    )


def make_storage(url: str, params: TuneParams) -> optuna.storages.RDBStorage:
    """RDB storage with heartbeats: a killed worker's trial is failed and retried."""
    check_storage_url(url)
    retries = params.connection_retries
    for attempt in range(1, retries + 1):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna 5
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return _rdb_storage(url, params)
        except Exception as exc:  # noqa: BLE001 - driver errors differ by database
            if attempt == retries:
                raise UserInputError(
                    f"The tuning storage {masked(url)} cannot be used "
                    f"({server_reason(exc, url)}): start the database or fix the URL "
                    "in conf/local/credentials.yml (optuna_storage) or "
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
