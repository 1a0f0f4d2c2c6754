"""Project settings: hooks and the configuration loader."""

import os
import warnings

from kedro.config import OmegaConfigLoader

from pirate_pain.hooks import DataSourceHook, FingerprintHook, ParameterCheckHook

# ParallelRunner workers start fresh ("spawn"): a forked child of a process that has
# already run torch's OpenMP thread pool can hang.
os.environ.setdefault("KEDRO_MP_CONTEXT", "spawn")

HOOKS = (DataSourceHook(), ParameterCheckHook(), FingerprintHook())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # an environment's globals.yml overrides single keys; parameter blocks are replaced
    "merge_strategy": {"globals": "soft"},
}

# Library notices that say nothing to a user of this project.
warnings.filterwarnings("ignore", message="register_new_resolver", category=UserWarning)
warnings.filterwarnings("ignore", message="One or more dataset names contain '.'")
