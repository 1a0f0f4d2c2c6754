"""Project settings: hooks and the configuration loader."""

import os
import warnings

# No usage telemetry leaves this machine (Kedro ships its own disabled).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
# MLflow warns "Add type hints to the `predict` method" when kedro-mlflow's own
# PythonModel is defined (imported with the hook), under a filter of its own that
# overrides ours: the warning is caught at that import and dropped, others re-issued.
_HINT_WARNING = "Add type hints to the `predict` method"

from pirate_pain.configuration import (  # noqa: E402
    ProjectConfigLoader,
    ProjectContext,
    tracking_store,
)
from pirate_pain.hooks import (  # noqa: E402
    ConfigurationHook,
    FanoutHook,
    FingerprintHook,
)
from pirate_pain.session import ProjectSession  # noqa: E402

# ParallelRunner workers start fresh ("spawn"): a forked child of a process that has
# already run torch's OpenMP thread pool can hang.
os.environ.setdefault("KEDRO_MP_CONTEXT", "spawn")

# Experiment tracking (README, "Experiment tracking"): kedro-mlflow's hook, run as the
# project's TrackingHook; PIRATE_PAIN_TRACKING=off switches it off.
TRACKING = os.environ.get("PIRATE_PAIN_TRACKING", "on").lower() not in ("off", "0")
HOOKS = (ConfigurationHook(), FingerprintHook(), FanoutHook())
if TRACKING:  # MLflow is imported only when it is used
    with warnings.catch_warnings(record=True) as _caught:
        warnings.simplefilter("default")
        from pirate_pain.tracking_hook import TrackingHook
    for _warning in _caught:
        if _HINT_WARNING not in str(_warning.message):
            warnings.warn_explicit(
                _warning.message, _warning.category, _warning.filename, _warning.lineno
            )

    HOOKS = (*HOOKS, TrackingHook())
DISABLE_HOOKS_FOR_PLUGINS = ("kedro-mlflow", "kedro_mlflow")  # run above, not twice

# runs of one project started together get different save versions (session.py)
SESSION_CLASS = ProjectSession
# pipelines are shaped by the run's resolved configuration (see configuration.py)
CONTEXT_CLASS = ProjectContext
CONFIG_LOADER_CLASS = ProjectConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # an environment holds only what it changes: keys are deep-merged into base
    # (lists are replaced whole)
    "merge_strategy": {"globals": "soft", "parameters": "soft"},
    # mlflow.yml: ${tracking_store:...} is MLFLOW_TRACKING_URI when set, else the
    # project's own SQLite store / artifact folder
    "custom_resolvers": {"tracking_store": tracking_store},
}

# Library notices that say nothing to a user of this project.
warnings.filterwarnings("ignore", message="register_new_resolver", category=UserWarning)
warnings.filterwarnings("ignore", message="One or more dataset names contain '.'")
